// One draft: the original message as inert text on the left, the editable
// draft and its evidence (facts, rules, guardrail flags, confidence) on the
// right. Saving uses If-Match; a stale version (412) or changed facts (409)
// are explained in a panel without touching what the reviewer typed.

import {api, ApiError} from './api.js';
import {clear, h, replace} from './dom.js';
import {age, ageSince, flagWords, num, pct, when} from './format.js';
import {approve, confirmApprove, conflictWords, factChangesTable, isFactConflict, nextOpenDraft,
	reject, rejectDialog} from './actions.js';

const REFRESH_MS = 10000;
const HEADER_ROWS = [['from', 'From'], ['reply_to', 'Reply-To'], ['to', 'To'], ['cc', 'Cc'],
		     ['date', 'Date'], ['subject', 'Subject'], ['message_id', 'Message-ID']];

function valueText(v) {
	if (v === null || v === undefined) return '–';
	if (typeof v === 'object') return JSON.stringify(v);
	// 466.20000000000005 is float noise from a sum, not a price
	if (typeof v === 'number' && !Number.isInteger(v)) return String(Math.round(v * 1e4) / 1e4);
	return String(v);
}

// The original message as inert text (also used by the needs-a-human view).
export function messagePane(m) {
	const hdrs = m.headers || {};
	const flags = Object.entries(m.flags || {}).filter(([, v]) => v === true).map(([k]) => k);
	const atts = Array.isArray(m.attachments) ? m.attachments : [];
	return h('section.pane.message',
		h('h2', 'Original message'),
		h('table.headers', h('tbody', HEADER_ROWS.filter(([k]) => hdrs[k]).map(([k, label]) =>
			h('tr', h('th', label), h('td', valueText(hdrs[k])))))),
		flags.length ? h('ul.flags', flags.map((f) => h('li.flag', {title: flagWords(f).words},
			flagWords(f).words))) : null,
		h('pre.mailtext#message-text', m.text || '(no text part)'),
		m.quoted_text ? h('details.quoted', h('summary', 'Quoted history'),
			h('pre.mailtext', m.quoted_text)) : null,
		h('h3', 'Attachments'),
		atts.length ? h('ul.attachments', atts.map((a) => h('li',
			typeof a === 'string' ? a : [
				h('span.att-name', a.filename || a.name || '(unnamed)'), ' ',
				h('span.att-type', a.content_type || a.type || ''), ' ',
				a.size !== undefined ? h('span.att-size', num(a.size / 1024, 1) + ' KiB') : null,
			]))) : h('p.muted', 'none'),
		h('p.muted', 'Shown as plain text. Links, images and HTML in the message are never loaded.'));
}

// One small table per looked-up key (field / value rows): facts have many
// columns and the pane is narrow.
function factsBlock(facts) {
	const out = [];
	const skip = ['key', 'found', 'fetched_at', 'connector'];
	for (const [source, list] of Object.entries(facts || {})) {
		if (Array.isArray(list)) {
			for (const f of list) {
				const state = f.found === null ? 'unknown (the connector failed)'
					: f.found === false ? 'not found' : 'found';
				out.push(h('table.facts', {class: f.found === null ? 'unknown'
					: f.found === false ? 'missing' : ''},
					h('caption', source + ' ' + valueText(f.key) + ': ' + state),
					h('tbody', Object.entries(f).filter(([k]) => !skip.includes(k)).map(([k, v]) =>
						h('tr', h('th', k), h('td', valueText(v)))),
						h('tr.fetched', h('th', 'fetched'), h('td', f.fetched_at
							? when(f.fetched_at) + ' (' + ageSince(f.fetched_at) + ' ago)'
							: '–', f.connector ? ' from ' + f.connector : '')))));
			}
		} else if (list && typeof list === 'object') {
			out.push(h('table.facts', h('caption', source), h('tbody', Object.entries(list).map(
				([k, v]) => h('tr', h('th', k), h('td', valueText(v)))))));
		}
	}
	return out.length ? out : [h('p.muted', 'No facts were looked up for this message.')];
}

function rulesBlock(hits) {
	let fired = hits;
	let extra = null;
	if (hits && !Array.isArray(hits)) {
		fired = hits.fired || [];
		extra = hits.outcome ? 'Outcome: ' + hits.outcome + (hits.never_auto ? ' (never auto)' : '') : null;
	}
	if (!fired || !fired.length) return [extra ? h('p', extra) : null, h('p.muted', 'No rule fired.')];
	return [extra ? h('p', extra) : null, h('ul.rules', fired.map((r) => h('li',
		typeof r === 'string' ? r : [h('b', r.id || ''), ' ', r.name || r.description || '',
			Array.isArray(r.actions) ? h('span.muted', ' → ' + r.actions.map((a) =>
				typeof a === 'string' ? a : [a.action, a.category, a.note,
					(a.phrases || []).join(', ')].filter(Boolean).join(': ')).join('; ')) : null])))];
}

function flagsBlock(d) {
	const flags = (Array.isArray(d.guardrail_flags) ? d.guardrail_flags : []).slice();
	const mf = (d.message && d.message.flags) || {};
	const named = flags.some((f) => /injection/.test(flagWords(f).code));
	if (mf.injection_suspect && !named) flags.unshift('injection_suspect');
	if (!flags.length) return [h('p.ok', 'All guardrail checks passed.')];
	return [h('ul.guardflags', flags.map((f) => {
		const w = flagWords(f);
		return h('li', h('code', w.code), ' ', w.words);
	}))];
}

export function mountDraft(root, id, ctx) {
	let d = null; // the draft as last loaded
	let alive = true;
	let timer = null;
	let claimNote = '';
	let staleNote = '';
	let saving = 0; // saves in flight
	let epoch = 0; // counts saves begun: a load from before one is stale
	const banner = h('div.banner', {hidden: true});
	const conflict = h('div.conflict#conflict', {role: 'alert', hidden: true});
	const layout = h('div.draft-layout');
	root.append(h('div.toolbar', h('a.back', {route: 'queue'}, '← Queue'),
		h('h1#draft-title', 'Draft #' + id)), banner, conflict, layout);

	const f = {
		recipient: h('input#d-recipient', {type: 'email', maxlength: 320, autocomplete: 'off'}),
		cc: h('input#d-cc', {type: 'text', maxlength: 1000, autocomplete: 'off'}),
		subject: h('input#d-subject', {type: 'text', maxlength: 998, autocomplete: 'off'}),
		body: h('textarea#d-body', {rows: 18, spellcheck: true}),
	};
	const dirtyMark = h('span.dirty', {hidden: true}, 'unsaved changes');
	for (const el of Object.values(f)) el.addEventListener('input', () => {
		dirtyMark.hidden = !dirty();
	});
	const btn = {
		approve: h('button.primary#b-approve', {type: 'button', on: {click: () => doApprove(false)}},
			'Approve & send'),
		approveNext: h('button#b-approve-next', {type: 'button',
			on: {click: () => doApprove(false, true)}}, 'Approve & next'),
		save: h('button#b-save', {type: 'button', on: {click: () => doSave(false)}}, 'Save'),
		reject: h('button.danger#b-reject', {type: 'button', on: {click: doReject}}, 'Reject'),
		regen: h('button#b-regen', {type: 'button', on: {click: doRegenerate}}, 'Regenerate'),
	};

	function fieldsOf(x) {
		return {subject: x.subject || '', body: x.body || '', recipient: x.recipient || '',
			cc: x.cc || ''};
	}
	function edited() {
		return {subject: f.subject.value, body: f.body.value, recipient: f.recipient.value.trim(),
			cc: f.cc.value.trim()};
	}
	function dirty() {
		if (!d) return false;
		const a = fieldsOf(d), b = edited();
		return Object.keys(a).some((k) => a[k] !== b[k]);
	}
	function fill(x) {
		const v = fieldsOf(x);
		for (const k of Object.keys(v)) f[k].value = v[k];
		dirtyMark.hidden = true;
	}
	function decided() {
		return d && !['pending', 'claimed'].includes(d.status);
	}

	// The editor is built once and never re-attached: a refresh must not
	// take the focus or the caret away from the reviewer.
	const statusLine = h('p.draft-status');
	const messageSlot = h('div.slot-message');
	const evidenceSlot = h('div.slot-evidence');
	// the business rules' notes sit above the text the reviewer edits
	const notesSlot = h('div.slot-notes');
	const editor = h('section.pane.editor',
		h('h2', 'Reply'), statusLine, notesSlot,
		h('label', {for: 'd-recipient'}, 'To'), f.recipient,
		h('label', {for: 'd-cc'}, 'Cc'), f.cc,
		h('label', {for: 'd-subject'}, 'Subject'), f.subject,
		h('label', {for: 'd-body'}, 'Body'), f.body,
		h('div.buttons', btn.approve, btn.approveNext, btn.save, btn.reject, btn.regen),
		h('p.hint', 'a approve · A approve & next · r reject · e edit · Esc back to the queue'));
	let messageShown = false;

	function render() {
		replace(root.querySelector('#draft-title'), 'Draft #' + d.id + ': ', d.subject || '');
		if (!messageShown) {
			replace(messageSlot, messagePane(d.message || {}));
			layout.append(messageSlot, editor, evidenceSlot);
			messageShown = true;
		}
		replace(evidenceSlot, h('section.pane.evidence',
			h('h2', 'Why this draft'),
			h('dl.summary',
				h('dt', 'Category'), h('dd', d.category || '(none)'),
				h('dt', 'Confidence'), h('dd', pct(d.confidence), ' ',
					h('span.muted', 'from ' + (d.confidence_source || 'unknown source'))),
				h('dt', 'Model'), h('dd', (d.model || '–') + (d.prompt_version ? ' · prompt ' + d.prompt_version : '')),
				h('dt', 'Decision'), h('dd', d.decision || '–', ' ',
					Array.isArray(d.decision_reasons) && d.decision_reasons.length
						? h('span.muted', '(' + d.decision_reasons.map(valueText).join('; ') + ')') : null),
				h('dt', 'Language'), h('dd', d.language || '–'),
				h('dt', 'Mailbox'), h('dd', d.mailbox || '–'),
				h('dt', 'Age'), h('dd', ageSince(d.created_at))),
			h('h3', 'Guardrail flags'), flagsBlock(d),
			h('h3', 'Rules fired'), rulesBlock(d.rule_hits),
			h('h3', 'Facts used'), factsBlock(d.facts),
			h('h3', 'History'), h('ol.history', (d.history || []).map((a) => h('li',
				h('span.muted', when(a.at) + ' '), (a.actor || '') + ' ', h('code', a.action || ''))))));
		const notes = Array.isArray(d.notes) ? d.notes : [];
		replace(notesSlot, notes.length ? h('div.notes#draft-notes', h('h3', 'Notes for the reviewer'),
			h('ul', notes.map((n) => h('li', valueText(n))))) : null);
		replace(statusLine,
			h('span.status.s-' + String(d.status).replace(/\W/g, ''), d.status), ' · version ' + d.version,
			d.claimed_by ? ' · claimed by ' + d.claimed_by : '',
			d.reviewer ? ' · decided by ' + d.reviewer : '',
			d.reject_reason ? ' · reason: ' + d.reject_reason : '',
			d.outbox ? ' · outbox ' + d.outbox.state : '', ' ', dirtyMark);
		for (const b of [btn.approve, btn.approveNext, btn.save, btn.reject]) b.disabled = decided();
		for (const el of Object.values(f)) el.readOnly = decided();
		showBanner();
	}

	function showBanner() {
		const parts = [];
		if (claimNote) parts.push(claimNote);
		if (staleNote) parts.push(staleNote);
		if (decided()) parts.push('This draft is ' + d.status + ': it can no longer be edited.');
		banner.hidden = parts.length === 0;
		replace(banner, parts.join(' '));
	}

	// Every load started before the latest save began (or while one is in
	// flight) is older than what the editor holds: it is dropped, or it
	// would bring back the text from before the save and call the reviewer's
	// own save someone else's.
	async function load(first) {
		const started = epoch;
		try {
			const x = await api.draft(id);
			if (!alive) return;
			if (first || !d) {
				d = x;
				fill(d);
				render();
				return;
			}
			if (started !== epoch || saving > 0 || x.version < d.version) return;
			const changed = x.version !== d.version;
			if (changed && dirty()) {
				// d stays the version the reviewer edited: a save then
				// gets its 412 and both texts are shown
				staleNote = 'Someone else saved version ' + x.version +
					' meanwhile; saving will show the difference.';
				showBanner();
				return;
			}
			d = x;
			staleNote = '';
			render();
			if (changed) fill(d);
			dirtyMark.hidden = !dirty();
		} catch (e) {
			if (!alive) return;
			if (first) {
				replace(layout, h('p.error', e.status === 404 ? 'No draft #' + id + '.' : e.message));
			}
		}
	}

	async function claim() {
		try {
			await api.claim(id);
			claimNote = '';
		} catch (e) {
			if (e.status === 409) claimNote = conflictWords(e) + ' Your changes may be refused.';
			else if (e.status !== 404) claimNote = 'Could not claim: ' + e.message;
		}
	}

	function showConflict(title, ...body) {
		replace(conflict, h('h2', title), body);
		conflict.hidden = false;
		conflict.scrollIntoView({block: 'nearest'});
	}
	function hideConflict() {
		conflict.hidden = true;
		clear(conflict);
	}

	// The 412 panel: their current text next to what the reviewer typed.
	async function staleConflict(mine) {
		let theirs;
		try {
			theirs = await api.draft(id);
		} catch (e) {
			showConflict('Stale version', h('p', e.message));
			return;
		}
		const t = fieldsOf(theirs);
		const rows = Object.keys(mine).filter((k) => mine[k] !== t[k]).map((k) =>
			h('tr', h('th', k), h('td', h('pre.was', t[k])), h('td', h('pre.now', mine[k]))));
		showConflict('Someone else changed this draft (now version ' + theirs.version + ')',
			h('p', 'Your edits were not saved and are still in the editor. What differs:'),
			h('table.changes', h('thead', h('tr', h('th', 'Field'), h('th', 'Saved by someone else'),
				h('th', 'Yours'))), h('tbody', rows)),
			h('div.buttons',
				h('button.primary#b-overwrite', {type: 'button', on: {click: () => {
					d = theirs;
					hideConflict();
					doSave(true);
				}}}, 'Save mine over theirs'),
				h('button#b-take-theirs', {type: 'button', on: {click: () => {
					d = theirs;
					staleNote = '';
					fill(d);
					hideConflict();
					render();
				}}}, 'Discard mine, load theirs')));
	}

	// The PATCH reply is the saved draft: it becomes the text the editor is
	// compared with and the version the next save sends in If-Match.
	async function doSave(overwrite) {
		if (!d || decided()) return false;
		const sent = edited();
		const a = fieldsOf(d);
		const patch = {};
		for (const k of Object.keys(sent)) if (sent[k] !== a[k]) patch[k] = sent[k];
		if (!Object.keys(patch).length) return true;
		saving++;
		epoch++;
		try {
			const r = await api.patch(id, d.version, patch);
			d = {...d, ...r};
			staleNote = '';
			hideConflict();
			// what was typed while the save was on its way stays in the editor
			const now = edited();
			if (Object.keys(sent).every((k) => sent[k] === now[k])) fill(d);
			render();
			dirtyMark.hidden = !dirty();
			if (!overwrite) ctx.notice('Saved (version ' + d.version + ').', 'ok', 3000);
			return true;
		} catch (err) {
			if (err.status === 412) await staleConflict(sent);
			else if (err.status === 409) showConflict('Not saved', h('p', conflictWords(err)));
			else showConflict('Not saved', h('p', err.message));
			return false;
		} finally {
			saving--;
		}
	}

	// next: open the next open draft of the queue afterwards (else the queue)
	async function doApprove(force, next = false) {
		if (!d || decided()) return;
		if (dirty() && !(await doSave(false))) return;
		btn.approve.disabled = true;
		btn.approveNext.disabled = true;
		try {
			await approve(id, null, force);
			ctx.notice('Draft #' + id + ' approved and queued for sending to ' +
				(d.recipient || d.message?.headers?.from || 'the sender') + '.', 'ok');
			const after = next ? await nextOpenDraft(id, ctx.session.name).catch(() => null) : null;
			if (next && !after) ctx.notice('Draft #' + id + ' approved. No other open draft waits.', 'ok');
			ctx.navigate(after ? 'draft/' + after.id : 'queue');
		} catch (e) {
			btn.approve.disabled = false;
			btn.approveNext.disabled = false;
			if (isFactConflict(e)) {
				showConflict('The facts changed since this draft was written',
					h('p', 'Check the draft against the current values before sending.'),
					factChangesTable(e.detail),
					h('div.buttons',
						h('button.danger#b-force', {type: 'button', on: {click: () => doApprove(true)}},
							'Send anyway'),
						h('button#b-regen2', {type: 'button', on: {click: doRegenerate}},
							'Regenerate with current facts')));
			} else if (e.status === 412) {
				await staleConflict(edited());
			} else if (e.status === 409) {
				showConflict('Not approved', h('p', conflictWords(e)));
			} else {
				showConflict('Not approved', h('p', e.message));
			}
		}
	}

	async function doReject() {
		if (!d || decided()) return;
		const choice = await rejectDialog(ctx, d);
		if (!choice) return;
		try {
			await reject(id, choice);
			ctx.notice('Draft #' + id + ' rejected' + (choice.category ? ' (category → ' +
				choice.category + ')' : '') + '.', 'ok');
			ctx.navigate('queue');
		} catch (e) {
			showConflict('Not rejected', h('p', e.status === 409 ? conflictWords(e) : e.message));
		}
	}

	async function doRegenerate() {
		if (!d) return;
		const ok = await ctx.confirmDialog('Regenerate', h('p',
			'Ask for a new draft of this message with fresh facts?' +
			(dirty() ? ' Your unsaved edits will be lost.' : '')), 'Regenerate');
		if (!ok) return;
		try {
			await api.redraft(d.message_id || (d.message && d.message.id));
			hideConflict();
			ctx.notice('A new draft was requested; it appears in the queue when it is ready.', 'ok');
		} catch (e) {
			showConflict('Not regenerated', h('p', e.status === 409 ? 'The message is being processed right now; try again in a moment.' : e.message));
		}
	}

	function onKey(ev) {
		// the same question as the queue's a key before anything is sent
		if (ev.key === 'a' || ev.key === 'A') {
			const next = ev.key === 'A';
			if (d && !decided()) {
				confirmApprove(ctx, d, {saveFirst: dirty(), next}).then((ok) => {
					if (ok && alive) doApprove(false, next);
				});
			}
			return true;
		}
		if (ev.key === 'r') {
			doReject();
			return true;
		}
		if (ev.key === 'e') {
			f.body.focus();
			return true;
		}
		if (ev.key === 'Escape') {
			ctx.navigate('queue');
			return true;
		}
		return false;
	}

	(async () => {
		await claim();
		await load(true);
		const tick = async () => {
			if (!alive) return;
			if (!document.hidden) await load(false);
			if (alive) timer = setTimeout(tick, REFRESH_MS);
		};
		timer = setTimeout(tick, REFRESH_MS);
	})();

	return {
		unmount() {
			alive = false;
			clearTimeout(timer);
		},
		onKey,
	};
}

export {ApiError, age};
