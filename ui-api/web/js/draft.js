// SPDX-License-Identifier: MIT
// One draft: the customer's message as inert text on the left, the editable
// reply and its evidence (facts, rules, guardrail flags, confidence) on the
// right. Viewing never claims; the first edit does (presence.js). Saving
// uses If-Match and the PATCH answer becomes the editor's base, so the
// reviewer's own save is never mistaken for someone else's; a real conflict
// shows both texts (conflict.js).

import {api} from './api.js';
import {h, replace} from './dom.js';
import {ageSince, pct, when} from './format.js';
import {approve, confirmApprove, conflictWords, factChangesTable, isFactConflict, nextOpenDraft,
	outcomeWords, reject, rejectDialog} from './actions.js';
import {factsBlock, flagsBlock, messagePane, rulesBlock, valueText} from './evidence.js';
import {presence} from './presence.js';
import {fieldsOf, showStale, showTakenAway} from './conflict.js';
import {messageBadge, outboxWords, sendDeadline} from './states.js';
import {trackSend} from './sending.js';
import {deliveryBlock} from './delivery.js';
import {conversationPane} from './thread.js';
import {notesPane} from './notes.js';
import {assignControl} from './assign.js';
import {pickSnippet} from './snippet_picker.js';
import {keptRow, learn, takePrefetched} from './queue_kept.js';

const REFRESH_MS = 5000;
const LIVE = ['pending', 'claimed'];

export function mountDraft(root, id, ctx) {
	// asked first, before the view is built and before the panes' requests;
	// or asked already while the row was selected in the queue, and then
	// asked again as soon as it is shown
	const early = takePrefetched(id);
	let firstAnswer = early || api.draft(id);
	let d = null; // the draft as last loaded or saved: what the editor is compared with
	let alive = true;
	let timer = null;
	let clock = null;
	let leaving = false; // a decision was made: navigating away loses nothing
	let staleNote = '';
	let saving = 0; // saves in flight
	let epoch = 0; // counts saves begun: a load from before one is stale
	let deadline = null; // approved: when the outbox takes the reply
	let awaitingNew = false; // regenerated: open the new draft once it is there
	const isAdmin = ctx.session.role === 'admin';
	const pres = presence(id, ctx.session, () => {
		if (d) render();
	});
	const banner = h('div.banner#draft-banner', {hidden: true});
	const conflict = h('div.conflict#conflict', {role: 'alert', hidden: true});
	const layout = h('div.draft-layout');
	// issue 16: who has the message, the conversation and notes beside it
	const assignSlot = h('div.slot-assign');
	let ws = null;
	root.append(h('div.toolbar', h('a.back', {route: 'queue'}, '← Queue'),
		h('h1#draft-title', 'Draft #' + id), assignSlot), banner, conflict, layout);

	const f = {
		recipient: h('input#d-recipient', {type: 'email', maxlength: 320, autocomplete: 'off'}),
		cc: h('input#d-cc', {type: 'text', maxlength: 1000, autocomplete: 'off'}),
		subject: h('input#d-subject', {type: 'text', maxlength: 998, autocomplete: 'off'}),
		body: h('textarea#d-body', {rows: 18, spellcheck: true}),
	};
	const dirtyMark = h('span.dirty', {hidden: true}, 'unsaved changes');
	for (const el of Object.values(f)) el.addEventListener('input', onEdit);
	f.body.addEventListener('keydown', (ev) => {
		if (ev.key === '.' && ev.ctrlKey) {
			ev.preventDefault();
			insertSnippet();
		}
	});
	const btn = {
		approve: h('button.primary#b-approve', {type: 'button', on: {click: () => doApprove(false)}},
			'Approve & send'),
		approveNext: h('button#b-approve-next', {type: 'button',
			on: {click: () => doApprove(false, true)}}, 'Approve & next'),
		save: h('button#b-save', {type: 'button', on: {click: () => doSave(false)}}, 'Save'),
		reject: h('button.danger#b-reject', {type: 'button', on: {click: doReject}}, 'Reject'),
		regen: h('button#b-regen', {type: 'button', on: {click: doRegenerate}}, 'Regenerate'),
		snippet: h('button#b-snippet', {type: 'button', title: 's, or Ctrl+. in the text',
			on: {click: () => insertSnippet()}}, 'Insert snippet'),
		takeOver: h('button.danger#b-take-over', {type: 'button', hidden: true,
			on: {click: doTakeOver}}, 'Take over'),
		undo: h('button#b-undo', {type: 'button', hidden: true, on: {click: doUndo}}, 'Undo sending'),
	};

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
		return d && !LIVE.includes(d.status);
	}

	// The first keystroke claims the draft (viewing does not).
	async function onEdit() {
		dirtyMark.hidden = !dirty();
		if (!d || decided() || pres.mine() || pres.other()) return;
		let ok = false;
		try {
			ok = await pres.claim();
		} catch (e) {
			ctx.notice('Could not claim the draft: ' + e.message, 'error');
			return;
		}
		if (!ok && alive && dirty()) showTakenAway(conflict, pres.holder, edited());
	}

	// The editor is built once and never re-attached: a refresh must not
	// take the focus or the caret away from the reviewer.
	const statusLine = h('p.draft-status');
	const deliverySlot = h('div.slot-delivery');
	const messageSlot = h('div.slot-message');
	const evidenceSlot = h('div.slot-evidence');
	// the business rules' notes sit above the text the reviewer edits
	const notesSlot = h('div.slot-notes');
	const editor = h('section.pane.editor',
		h('h2', 'Reply'), statusLine, deliverySlot, notesSlot,
		h('label', {for: 'd-recipient'}, 'To'), f.recipient,
		h('label', {for: 'd-cc'}, 'Cc'), f.cc,
		h('label', {for: 'd-subject'}, 'Subject'), f.subject,
		h('label', {for: 'd-body'}, 'Body'), f.body,
		h('div.buttons', btn.approve, btn.approveNext, btn.save, btn.reject, btn.regen, btn.snippet,
			btn.takeOver, btn.undo),
		h('p.hint', 'a approve · A approve & next · r reject · e edit · s snippet · t take · z undo sending · ' +
			'Esc back to the queue'));
	let messageShown = false;

	// The conversation, notes and assignment panes ask for their data as
	// soon as the message is known (from the queue's row when the draft was
	// opened from there): in parallel with the draft, each filled when its
	// own answer comes, none waiting for another.
	function startPanes(mid) {
		if (!ws && mid !== undefined && mid !== null) {
			ws = {conv: conversationPane(mid), notes: notesPane(mid, ctx), assign: assignControl(mid, ctx)};
		}
	}
	const row = keptRow(id);
	if (row) startPanes(row.message_id);

	function render() {
		const t0 = performance.now();
		replace(root.querySelector('#draft-title'), 'Draft #' + d.id + ': ', d.subject || '');
		if (!messageShown) {
			startPanes(d.message_id || (d.message && d.message.id));
			replace(messageSlot, messagePane(d.message || {}), ws.conv.el, ws.notes.el);
			replace(assignSlot, ws.assign.el);
			layout.append(messageSlot, editor, evidenceSlot);
			messageShown = true;
		}
		ws.assign.show(d.message && d.message.assigned_to, true);
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
		replace(deliverySlot, deliveryBlock(d, () => load(false)));
		const notes = Array.isArray(d.notes) ? d.notes : [];
		replace(notesSlot, notes.length ? h('div.notes#draft-notes', h('h3', 'Notes for the reviewer'),
			h('ul', notes.map((n) => h('li', valueText(n))))) : null);
		const msg = d.message ? messageBadge(d.message) : null;
		replace(statusLine,
			h('span.status.s-' + String(d.status).replace(/\W/g, ''), d.status), ' · version ' + d.version,
			h('span#holder', pres.mine() ? ' · you are editing' : pres.holder ? ' · ' + pres.holder +
				' is editing' : ''),
			d.reviewer ? ' · decided by ' + d.reviewer : '',
			d.reject_reason ? ' · reason: ' + d.reject_reason : '',
			msg ? [' · message ', msg] : '', ' ', dirtyMark);
		const locked = decided() || pres.other();
		for (const b of [btn.approve, btn.approveNext, btn.save, btn.reject, btn.regen, btn.snippet]) {
			b.disabled = locked;
		}
		for (const el of Object.values(f)) el.readOnly = locked;
		btn.takeOver.hidden = !(isAdmin && pres.other() && !decided());
		btn.undo.hidden = !(d.status === 'approved' && d.outbox && d.outbox.can_undo);
		if (pres.other() && dirty() && conflict.hidden) showTakenAway(conflict, pres.holder, edited());
		// the holder left: the text kept for the reviewer is still in the editor
		if (!pres.other() && conflict.dataset.kind === 'taken') hideConflict();
		showBanner();
		performance.measure('render', {start: t0});
	}

	// Who holds the draft, what became of it, where the reply is: in words.
	function showBanner() {
		const parts = [];
		if (pres.other()) {
			parts.push(h('p#holder-note', pres.holder + ' is working on this draft' +
				(pres.expires ? ' (their claim runs until ' + new Date(pres.expires).toLocaleTimeString() +
					' unless renewed)' : '') + '. The editor is read-only until they leave' +
				(isAdmin ? '; as an admin you can take it over.' : '.')));
		} else if (pres.mine() && pres.takenFrom) {
			parts.push(h('p', 'You took this draft over from ' + pres.takenFrom + '.'));
		}
		if (staleNote) parts.push(h('p', staleNote));
		if (d && d.status === 'approved') {
			parts.push(h('p#outbox-words', 'Approved' + (d.reviewer ? ' by ' + d.reviewer : '') + '. ' +
				outboxWords(d.outbox, deadline)));
		} else if (d && ['sent', 'auto_sent', 'failed'].includes(d.status)) {
			parts.push(h('p#outbox-words', (d.status === 'auto_sent' ? 'Sent automatically. ' : '') +
				(outboxWords(d.outbox) || 'This draft is ' + d.status + '.')));
		} else if (d && d.status === 'superseded') {
			parts.push(h('p#superseded', 'This draft was replaced' + (d.superseded_by ? ' by ' +
				d.superseded_by : '') + ' and can no longer be sent. ',
			d.live_draft_id ? h('a#live-draft', {route: 'draft/' + d.live_draft_id},
				'Open the current draft #' + d.live_draft_id)
				: awaitingNew ? 'A new draft is being written; it opens here when it is ready.'
					: h('a', {route: 'message/' + d.message_id}, 'See the message')));
		} else if (d && d.status === 'rejected') {
			parts.push(h('p', 'Rejected' + (d.reviewer ? ' by ' + d.reviewer : '') + '. ',
				d.live_draft_id ? h('a', {route: 'draft/' + d.live_draft_id},
					'Open the new draft #' + d.live_draft_id)
					: h('a', {route: 'message/' + d.message_id}, 'See where the message is')));
		}
		banner.hidden = parts.length === 0;
		replace(banner, parts);
	}

	// Every load started before the latest save began (or while one is in
	// flight) is older than what the editor holds: it is dropped, or it
	// would bring back the text from before the save and call the reviewer's
	// own save someone else's.
	async function load(first) {
		const started = epoch;
		try {
			const asked = first && firstAnswer ? firstAnswer : api.draft(id);
			// a prefetched answer may be seconds old: what it says is not
			// news to the queue (the load right after it is)
			const old = asked === early;
			firstAnswer = null;
			const x = await asked;
			if (!alive) return;
			if (first || !d) {
				accept(x, old);
				fill(d);
				render();
				return;
			}
			if (started !== epoch || saving > 0 || x.version < d.version) return;
			if (awaitingNew && x.live_draft_id && String(x.live_draft_id) !== String(id)) {
				leaving = true;
				ctx.notice('The new draft #' + x.live_draft_id + ' is ready.', 'ok');
				ctx.navigate('draft/' + x.live_draft_id);
				return;
			}
			const changed = x.version !== d.version;
			if (changed && dirty()) {
				// d stays the version the reviewer edited: a save then
				// gets its 412 and both texts are shown
				staleNote = (x.updated_by ? x.updated_by : 'Someone else') + ' saved version ' +
					x.version + ' meanwhile; saving will show both texts.';
				pres.update(x);
				showBanner();
				return;
			}
			accept(x);
			staleNote = '';
			if (changed) fill(d);
			render();
			dirtyMark.hidden = !dirty();
		} catch (e) {
			if (!alive) return;
			if (first) {
				replace(layout, h('p.error', e.status === 404 ? 'No draft #' + id + '.' : e.message));
			}
		}
	}
	function accept(x, old = false) {
		d = x;
		if (!old) learn(d.id, d.status);
		deadline = d.status === 'approved' ? sendDeadline(d.outbox) : null;
		pres.update(d);
	}

	function showConflict(title, ...body) {
		conflict.dataset.kind = 'message';
		replace(conflict, h('h2', title), body);
		conflict.hidden = false;
		conflict.scrollIntoView({block: 'nearest'});
	}
	function hideConflict() {
		conflict.hidden = true;
	}

	// 412: both texts side by side; the saved one from the answer's detail
	// (or read again when the server did not send it).
	async function staleConflict(mine, detail) {
		let theirs = detail && detail.version && typeof detail.body === 'string' ? detail : null;
		try {
			if (!theirs) theirs = await api.draft(id);
		} catch (e) {
			showConflict('Stale version', h('p', e.message));
			return;
		}
		// the 412 detail spells the version as a string
		theirs = {...theirs, version: Number(theirs.version)};
		showStale(conflict, {mine, theirs: fieldsOf(theirs), who: theirs.updated_by,
			version: theirs.version,
			onKeepMine: () => {
				d = {...d, ...fieldsOf(theirs), version: theirs.version};
				hideConflict();
				doSave(true);
			},
			onTakeTheirs: () => {
				d = {...d, ...fieldsOf(theirs), version: theirs.version};
				staleNote = '';
				fill(d);
				render();
				load(false);
			}});
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
			pres.saved();
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
			if (err.status === 412) {
				await staleConflict(sent, err.detail);
			} else if (err.status === 409 && err.code === 'claimed') {
				pres.update({status: d.status, claimed_by: err.detail && err.detail.claimed_by,
					claim_expires: err.detail && err.detail.claim_expires});
				showTakenAway(conflict, (err.detail && err.detail.claimed_by) || 'Someone else', sent);
			} else {
				showConflict('Not saved', h('p', err.status === 409 ? conflictWords(err) : err.message));
			}
			return false;
		} finally {
			saving--;
		}
	}

	// next: open the next open draft of the queue afterwards (else the queue)
	async function doApprove(force, next = false) {
		if (!d || decided() || pres.other()) return;
		if (dirty() && !(await doSave(false))) return;
		btn.approve.disabled = true;
		btn.approveNext.disabled = true;
		try {
			const r = await approve(id, null, force);
			leaving = true;
			trackSend({...r, id: r.id || id}, 'Draft #' + id + ' to ' +
				(d.recipient || d.message?.headers?.from || 'the sender'));
			ctx.refreshBacklog();
			const after = next ? await nextOpenDraft(id, ctx.session.name).catch(() => null) : null;
			if (next && !after) ctx.notice('No other open draft waits.', 'ok');
			ctx.navigate(after ? 'draft/' + after.id : 'queue');
		} catch (e) {
			btn.approve.disabled = false;
			btn.approveNext.disabled = false;
			if (isFactConflict(e)) {
				showConflict('The facts changed since this draft was written',
					h('p', 'Check the draft against the current values before sending.'),
					factChangesTable(e.detail),
					h('div.buttons',
						h('button.danger#b-force', {type: 'button', on: {click: () => doApprove(true, next)}},
							'Send anyway'),
						h('button#b-regen2', {type: 'button', on: {click: doRegenerate}},
							'Regenerate with current facts')));
			} else if (e.status === 412) {
				await staleConflict(edited(), e.detail);
			} else {
				showConflict('Not approved', h('p', e.status === 409 ? conflictWords(e) : e.message));
				load(false);
			}
		}
	}

	async function doReject() {
		if (!d || decided() || pres.other()) return;
		const choice = await rejectDialog(ctx, d);
		if (!choice) return;
		try {
			const r = await reject(id, choice);
			leaving = true;
			ctx.notice('Draft #' + id + ' rejected. ' + outcomeWords(r && r.message, choice), 'ok', 9000);
			ctx.refreshBacklog();
			ctx.navigate('queue');
		} catch (e) {
			showConflict('Not rejected', h('p', e.status === 409 ? conflictWords(e) : e.message));
		}
	}

	// Asks first, naming what would be lost; then replaces this draft even
	// if it carries saved edits (If-Match: the version the reviewer saw).
	async function doRegenerate() {
		if (!d || decided() || pres.other()) return;
		const unsaved = dirty();
		const savedEdits = d.updated_by ? d.updated_by : null;
		const ok = await ctx.confirmDialog('Regenerate', h('div',
			h('p', 'Replace this draft with a new one written from fresh facts? This one is kept ' +
				'for the record but can no longer be sent.'),
			unsaved ? h('p.error#regen-unsaved', 'Your unsaved edits in the editor will be lost.') : null,
			savedEdits && d.version > 1 ? h('p.error#regen-saved', 'The edits saved by ' + savedEdits +
				' (version ' + d.version + ') are replaced too.') : null), 'Regenerate');
		if (!ok || !alive) return;
		try {
			await api.redraft(d.message_id || (d.message && d.message.id), d.version);
			hideConflict();
			awaitingNew = true;
			epoch++;
			ctx.notice('A new draft is being written; it opens here when it is ready.', 'ok');
			const x = await api.draft(id);
			if (!alive) return;
			accept(x);
			fill(d);
			render();
		} catch (e) {
			if (e.status === 412) {
				showConflict('Not regenerated', h('p', 'Someone saved a newer version meanwhile; ' +
					'look at it before replacing it.'));
				load(false);
			} else {
				showConflict('Not regenerated', h('p', e.status === 409 ? conflictWords(e) : e.message));
			}
		}
	}

	async function doTakeOver() {
		const from = pres.holder;
		const ok = await ctx.confirmDialog('Take over draft #' + id, h('p', from + ' is working on ' +
			'this draft. Taking it over makes the editor read-only for them; what they have not ' +
			'saved stays on their screen. The take-over is audited.'), 'Take over');
		if (!ok || !alive) return;
		try {
			if (await pres.claim(true)) ctx.notice('You hold draft #' + id + ' now.', 'ok');
			await load(false);
		} catch (e) {
			ctx.notice('Not taken over: ' + (e.status === 403 ? 'admins only' : e.message), 'error');
		}
	}

	async function doUndo() {
		try {
			await api.undo(id);
			ctx.notice('Not sent: draft #' + id + ' is back in review with your text.', 'ok');
			epoch++;
			const x = await api.draft(id);
			if (!alive) return;
			accept(x);
			fill(d);
			render();
			ctx.refreshBacklog();
		} catch (e) {
			ctx.notice('Not undone: ' + (e.status === 409 ? conflictWords(e) : e.message), 'error');
			load(false);
		}
	}

	// A snippet at the reply's caret, filled from this draft's facts.
	async function insertSnippet() {
		if (!d || decided() || pres.other()) return;
		await pickSnippet(id, d.language || (d.message && d.message.language), f.body, ctx);
	}

	// the same question as the queue's a key before anything is sent
	function askApprove(next) {
		if (d && !decided() && !pres.other()) {
			confirmApprove(ctx, d, {saveFirst: dirty(), next}).then((ok) => {
				if (ok && alive) doApprove(false, next);
			});
		}
	}

	// read, fix, approve, next without the mouse: Ctrl+Enter (Cmd+Enter) in
	// the editor asks "Approve & next" straight from the text being fixed
	f.body.addEventListener('keydown', (ev) => {
		if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
			ev.preventDefault();
			f.body.blur();
			askApprove(true);
		}
	});

	function onKey(ev) {
		if (ev.key === 's') {
			insertSnippet();
			return true;
		}
		if (ev.key === 't' && ws) {
			ws.assign.take();
			return true;
		}
		if (ev.key === 'a' || ev.key === 'A') {
			askApprove(ev.key === 'A');
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
		await load(true);
		if (early && alive) await load(false);
		let ticks = 0;
		const tick = async () => {
			if (!alive) return;
			if (!document.hidden) await load(false);
			// the conversation and notes move slower than the draft
			if (!document.hidden && ws && ++ticks % 3 === 0) {
				ws.conv.refresh();
				ws.notes.refresh();
			}
			if (alive) timer = setTimeout(tick, REFRESH_MS);
		};
		timer = setTimeout(tick, REFRESH_MS);
		// the "Sending in N s" countdown of an approved draft
		clock = setInterval(() => {
			if (alive && d && d.status === 'approved') showBanner();
		}, 1000);
	})();

	return {
		unmount() {
			alive = false;
			clearTimeout(timer);
			clearInterval(clock);
			pres.stop();
			if (ws) {
				ws.conv.stop();
				ws.notes.stop();
			}
		},
		// unsaved edits: leaving asks first (app.js)
		unsaved: () => !leaving && !!d && !decided() && dirty(),
		onKey,
	};
}
