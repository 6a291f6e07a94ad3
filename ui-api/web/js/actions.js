// SPDX-License-Identifier: MIT
// Decisions shared by the queue and the draft view: approve and reject with
// their dialogs and the conflict explanations.

import {api, ApiError, idempotencyKey} from './api.js';
import {h} from './dom.js';
import {learn} from './queue_kept.js';

// sessionStorage key of the queue's filters (the queue view owns them;
// "approve and open next" follows the same order and filters).
export const QUEUE_FILTERS = 'draftd.queue.filters';

let categoryNames = null;
export async function loadCategoryNames() {
	if (categoryNames) return categoryNames;
	try {
		const r = await api.categories();
		categoryNames = (r.categories || []).map((c) => c.name);
	} catch (e) {
		categoryNames = [];
	}
	return categoryNames;
}

// The changed facts of a 409 from approve, as [{source,key,field,was,now}].
export function factChanges(detail) {
	if (!detail) return [];
	if (Array.isArray(detail)) return detail;
	for (const k of ['changes', 'changed', 'facts', 'differences']) {
		if (Array.isArray(detail[k])) return detail[k];
	}
	return [];
}

export function isFactConflict(e) {
	return e instanceof ApiError && e.status === 409 &&
		(/fact/i.test(e.code) || factChanges(e.detail).length > 0);
}

function show(v) {
	if (v === undefined) return '(absent)';
	if (v === null) return '(unknown)';
	return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// A table of what changed in the facts since the draft was written.
export function factChangesTable(detail) {
	const rows = factChanges(detail);
	if (!rows.length) return h('p', 'The facts changed since the draft was written.');
	return h('table.changes',
		h('thead', h('tr', h('th', 'Source'), h('th', 'Key'), h('th', 'Field'),
			     h('th', 'Was'), h('th', 'Now'))),
		h('tbody', rows.map((c) => h('tr',
			h('td', show(c.source || c.connector)), h('td', show(c.key)),
			h('td', show(c.field)), h('td.was', show(c.was !== undefined ? c.was : c.before)),
			h('td.now', show(c.now !== undefined ? c.now : c.after))))));
}

// A 409 in words: who holds the claim, what replaced the draft, why the
// message takes no reply now.
export function conflictWords(e) {
	const d = e.detail || {};
	switch (e.code) {
	case 'superseded':
		return 'This draft was replaced and can no longer be sent' + (d.live_draft_id
			? ': the current draft is #' + d.live_draft_id + '.' : '; a new draft is being written.');
	case 'already_replied':
		return 'The customer already got a reply to this message' + (d.reply_draft_id
			? ' (draft #' + d.reply_draft_id + ')' : '') + '. A second reply can only be sent as a follow-up.';
	case 'sending':
		return 'A reply to this message is waiting to be sent: undo it first.';
	case 'message_closed':
		return 'The message was closed' + (d.close_reason ? ' (' + d.close_reason + ')' : '') +
			'; reopen it first.';
	case 'draft_edited':
		return 'This draft carries saved edits' + (d.edited_by ? ' by ' + d.edited_by : '') +
			'; confirm to replace them.';
	case 'too_late':
		return 'Too late: the reply is already being sent.';
	case 'busy':
		return 'The message is being processed right now; try again in a moment.';
	case 'not_replied':
		return 'A follow-up needs a first reply.';
	default:
		break;
	}
	if (d.claimed_by) return d.claimed_by + ' is working on this draft.';
	if (d.status) return 'The draft is now ' + d.status + '.';
	return e.message;
}

// Where a rejected or regenerated draft's message went (the answer's
// ReviewOutcome), in words.
export function outcomeWords(m, choice = {}) {
	if (!m) return '';
	if (m.queue === 'human') {
		return 'The message is under "Needs a human"' + (m.reason ? ' (' + m.reason + ')' : '') + '.';
	}
	if (m.queue === 'drafting') {
		return 'It is being drafted again' + (choice.category ? ' as ' + choice.category : '') + '.';
	}
	if (m.queue === 'review' && m.live_draft_id) return 'Its new draft is #' + m.live_draft_id + '.';
	return m.status ? 'The message is ' + m.status + '.' : '';
}

// Approves id. edit = {subject, body} or null. Returns the result, or throws.
// One idempotency key per draft page visit, so a retried click never sends twice.
const keys = new Map();
export async function approve(id, edit, force = false) {
	if (!keys.has(id)) keys.set(id, idempotencyKey());
	const body = {...(edit || {})};
	if (force) body.force = true;
	const r = await api.approve(id, body, keys.get(id) + (force ? '-force' : ''));
	learn(id, (r && r.status) || 'approved');
	return r;
}

// Asks for a reject reason and an optional corrected category.
// Resolves {reason, category} or null when cancelled.
export async function rejectDialog(ctx, draft) {
	const names = await loadCategoryNames();
	const reason = h('textarea#reject-reason', {rows: 3, required: true, maxlength: 2000,
					  placeholder: 'Why is this draft wrong?'});
	const quick = ['wrong category', 'facts wrong', 'needs a human', 'not a customer request',
		       'tone'].map((r) => h('button.chip', {type: 'button', on: {click: () => {
			reason.value = reason.value ? reason.value + '; ' + r : r;
			reason.focus();
		}}}, r));
	const cat = h('select#reject-category',
		h('option', {value: ''}, '(category is right)'),
		names.filter((n) => n !== draft.category).map((n) => h('option', {value: n}, n)));
	const body = h('div.reject-form',
		h('p', 'Draft #' + draft.id + ': ', draft.subject || ''),
		h('label', {for: 'reject-reason'}, 'Reason (required)'), reason, h('div.chips', quick),
		h('label', {for: 'reject-category'}, 'Corrected category (trains the classifier)'), cat);
	setTimeout(() => reason.focus(), 0);
	for (;;) {
		const ok = await ctx.confirmDialog('Reject draft', body, 'Reject');
		if (!ok) return null;
		if (reason.value.trim()) return {reason: reason.value.trim(), category: cat.value || null};
		ctx.notice('A reason is required to reject.', 'error');
	}
}

// Asks before sending, the same question from the queue and the draft view.
// d is a draft (list row or full); opts.saveFirst says unsaved edits will be
// saved, opts.next that the next draft opens afterwards. Resolves true on OK.
export function confirmApprove(ctx, d, opts = {}) {
	const to = d.recipient || d.sender || (d.message && d.message.headers && d.message.headers.from) || '?';
	return ctx.confirmDialog(opts.next ? 'Approve, send and open the next draft' : 'Approve and send',
		h('div', h('p', 'Send draft #' + d.id + ' (' + (d.subject || '') + ') to ' + to +
			(opts.saveFirst ? ' with your edits? They are saved first.' : ' as it is?')),
		opts.next ? h('p.muted', 'Then the next open draft of the queue opens.') : null),
		opts.next ? 'Approve & next' : 'Approve & send');
}

// The next open draft after `id` in the queue's order and filters that
// nobody else holds, or null.
export async function nextOpenDraft(id, me) {
	let f = {};
	try {
		f = JSON.parse(sessionStorage.getItem(QUEUE_FILTERS)) || {};
	} catch (e) {
		f = {};
	}
	const r = await api.drafts({status: 'open', category: f.category, mailbox: f.mailbox, q: f.q,
		order: f.order || 'oldest', limit: 50});
	return (r.drafts || []).find((x) => String(x.id) !== String(id) &&
		(!x.claimed_by || x.claimed_by === me)) || null;
}

export async function reject(id, choice) {
	const body = {reason: choice.reason};
	if (choice.category) body.category = choice.category;
	const r = await api.reject(id, body);
	learn(id, 'rejected');
	return r;
}
