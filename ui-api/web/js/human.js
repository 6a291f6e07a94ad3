// SPDX-License-Identifier: MIT
// "Needs a human": open messages without a draft (the category is off, the
// message was oversized, the model could not draft, a reviewer rejected the
// draft, sending failed), each with the reason; other message lists by
// status (closed, replied, skipped) for reopening and follow-ups. One
// message opens as inert text beside the reply form and the close form.

import {api} from './api.js';
import {h, replace} from './dom.js';
import {age, ageSince, when} from './format.js';
import {messagePane} from './evidence.js';
import {messageBadge, outboxWords} from './states.js';
import {closePane, composePane} from './compose.js';
import {conversationPane} from './thread.js';
import {notesPane} from './notes.js';
import {assignControl} from './assign.js';

const REFRESH_MS = 10000;
const LISTS = [['human', 'Needs a human', {state: 'human'}], ['open', 'Every open message', {status: 'open'}],
	['closed', 'Closed', {status: 'closed'}], ['replied', 'Replied', {status: 'replied'}],
	['skipped', 'Skipped', {status: 'skipped'}]];
const STORE = 'draftd.human.list';

export function mountHuman(root, ctx) {
	let alive = true;
	let timer = null;
	let rows = [];
	let selected = 0;
	let list = sessionStorage.getItem(STORE) || 'human';
	if (!LISTS.some(([k]) => k === list)) list = 'human';
	const tbody = h('tbody');
	const count = h('span.count');
	const updated = h('span.updated');
	const which = h('select#h-list', {title: 'Which messages', on: {change: () => {
		list = which.value;
		sessionStorage.setItem(STORE, list);
		selected = 0;
		load();
	}}}, LISTS.map(([k, label]) => h('option', {value: k, selected: k === list}, label)));
	const table = h('table.queue#human-table',
		h('thead', h('tr', h('th', 'From'), h('th', 'Subject'), h('th', 'State'), h('th', 'Why'),
			h('th', 'Category'), h('th', 'Mailbox'), h('th.num', 'Age'))), tbody);
	const empty = h('p.empty', {hidden: true});
	root.append(h('div.toolbar', h('h1', 'Needs a human'), which, count, updated),
		h('p.hint', 'Messages that wait for a person without a draft. Open one to write the reply ' +
			'yourself, close it with a reason, or ask for a draft.'),
		table, empty, h('p.hint', 'j/k move · e or Enter open · ? help'));

	function render() {
		replace(tbody, rows.map((m, i) => h('tr', {dataset: {id: String(m.id)},
			class: i === selected && 'selected', on: {click: () => select(i),
				dblclick: () => ctx.navigate('message/' + m.id)}},
			h('td.sender', m.sender || ''),
			h('td.subject', h('a', {route: 'message/' + m.id}, m.subject || '(no subject)')),
			h('td', messageBadge(m) || m.state || ''),
			h('td.reason', m.status === 'closed' ? (m.close_reason || '–') +
				(m.closed_by ? ' (' + m.closed_by + ')' : '') : m.reason || '–'),
			h('td', m.category ? h('span.cat', m.category) : '–'),
			h('td', m.mailbox || ''),
			h('td.num', {title: m.received_at || ''}, age(m.age_seconds)))));
		empty.hidden = rows.length > 0;
		table.hidden = rows.length === 0;
		replace(empty, list === 'human'
			? 'Nothing waits for a human: every open message has a draft or is being drafted.'
			: 'No message in this list.');
		replace(count, rows.length + (list === 'human' ? ' waiting' : ' shown'));
	}

	function select(i) {
		selected = Math.max(0, Math.min(rows.length - 1, i));
		Array.from(tbody.children).forEach((tr, j) => tr.classList.toggle('selected', j === selected));
	}

	async function load() {
		try {
			const q = LISTS.find(([k]) => k === list)[2];
			const r = await api.messages({...q, order: list === 'human' || list === 'open' ? 'oldest' : 'newest',
				limit: 200});
			if (!alive) return;
			rows = r.messages || [];
			if (selected >= rows.length) selected = 0;
			render();
			replace(updated, 'updated ' + new Date().toLocaleTimeString());
			updated.classList.remove('stale');
		} catch (e) {
			if (!alive) return;
			replace(updated, 'refresh failed: ' + e.message);
			updated.classList.add('stale');
		}
	}

	async function tick() {
		if (!alive) return;
		if (!document.hidden) await load();
		if (alive) timer = setTimeout(tick, REFRESH_MS);
	}
	load().then(() => {
		if (alive) timer = setTimeout(tick, REFRESH_MS);
	});

	return {
		unmount() {
			alive = false;
			clearTimeout(timer);
		},
		onKey(ev) {
			switch (ev.key) {
			case 'j': case 'ArrowDown': select(selected + 1); return true;
			case 'k': case 'ArrowUp': select(selected - 1); return true;
			case 'e': case 'Enter': case 'o':
				if (rows[selected]) ctx.navigate('message/' + rows[selected].id);
				return true;
			default: return false;
			}
		},
	};
}

// What the message's state means and what can be done about it.
function statePane(m, actions) {
	const drafts = m.drafts || [];
	const job = m.job || null;
	const st = m.status;
	return [
		h('h2', st === 'open' ? (m.queue === 'human' ? 'Why no draft' : 'Where it waits')
			: st === 'replied' ? 'Replied' : st === 'closed' ? 'Closed' : st === 'skipped' ? 'Skipped' : 'State'),
		h('p.reason#message-reason', st === 'closed' ? (m.close_reason || 'No reason was recorded.') +
			(m.closed_by ? ' (closed by ' + m.closed_by + (m.closed_at ? ', ' + when(m.closed_at) : '') + ')' : '')
			: st === 'replied' ? 'The customer got a reply' + (m.replied_at ? ' ' + when(m.replied_at) : '') + '.'
				: m.reason || (m.queue === 'review' ? 'A draft waits for review.' : m.queue === 'drafting'
					? 'A draft is being written.' : 'No reason was recorded.')),
		m.live_draft_id ? h('p', h('a#message-live-draft', {route: 'draft/' + m.live_draft_id},
			'Open the draft #' + m.live_draft_id + ' that waits')) : null,
		h('dl.summary',
			h('dt', 'State'), h('dd#message-state', messageBadge(m) || m.state || '–'),
			h('dt', 'Category'), h('dd', m.category || '–'),
			h('dt', 'Language'), h('dd', m.language || '–'),
			h('dt', 'Mailbox'), h('dd', m.mailbox || '–'),
			h('dt', 'Received'), h('dd', when(m.received_at) + ' (' + ageSince(m.received_at) + ' ago)'),
			m.follow_ups ? [h('dt', 'Follow-ups'), h('dd', String(m.follow_ups))] : null,
			job ? [h('dt', 'Pipeline job'), h('dd', job.state + ' · ' + job.attempts + ' attempt(s)' +
				(job.last_error ? ' · ' + job.last_error : ''))] : null),
		drafts.length ? [h('h3', 'Drafts and replies'), h('ul#message-drafts', drafts.map((d) =>
			h('li', h('a', {route: 'draft/' + d.id}, 'Draft #' + d.id), ' ',
				h('span.status.s-' + String(d.status).replace(/\W/g, ''), d.status),
				d.origin === 'person' ? ' written by ' + (d.reviewer || 'a person') : '',
				d.kind === 'follow_up' ? ' (follow-up)' : '',
				d.outbox && d.outbox.state === 'failed' ? ' · ' + outboxWords(d.outbox) : '')))] : null,
		h('div.buttons', actions),
	];
}

export function mountMessage(root, id, ctx) {
	let alive = true;
	// issue 16: the assignment, the conversation and notes beside the message
	const ws = {conv: conversationPane(id), notes: notesPane(id, ctx), assign: assignControl(id, ctx)};
	let ticks = 0;
	let timer = null;
	let m = null;
	let shown = '';
	let compose = null;
	const status = h('div.pane.why#message-why');
	const slot = h('div.slot-message');
	const forms = h('div.slot-forms');
	const ask = h('button#b-ask-draft', {type: 'button', on: {click: askDraft}}, 'Ask for a draft');
	const reopen = h('button#b-reopen', {type: 'button', on: {click: doReopen}}, 'Reopen');
	root.append(h('div.toolbar', h('a.back', {route: 'human'}, '← Needs a human'),
		h('h1#message-title', 'Message #' + id), ws.assign.el),
	h('div.draft-layout.message-layout', h('div', slot, ws.conv.el, ws.notes.el),
		h('div.side-panes', status, forms)));

	// The forms are rebuilt only when the message's state changes, so a
	// refresh never wipes what the reviewer is typing.
	function renderForms() {
		const key = m.status + '/' + (m.live_draft_id || '') + '/' + (m.queue || '');
		if (key === shown) return;
		if (compose && compose.unsaved()) return;
		shown = key;
		compose = null;
		const parts = [];
		if (m.status === 'open' || m.status === 'replied') {
			compose = composePane(m, ctx, () => ctx.navigate('human'));
			parts.push(compose.el);
		}
		if (m.status === 'open') parts.push(closePane(m, ctx, () => load(false)));
		replace(forms, parts);
	}

	function render() {
		replace(root.querySelector('#message-title'), 'Message #' + m.id + ': ',
			(m.headers && m.headers.subject) || '(no subject)');
		const acts = [];
		// (a server without message status: the pipeline's human state)
		if ((m.status === 'open' || !m.status) && !m.live_draft_id && m.queue !== 'drafting') acts.push(ask);
		if (m.status === 'closed' || m.status === 'skipped') acts.push(reopen);
		replace(status, statePane(m, acts),
			acts.includes(ask) ? h('p.hint', 'Asking for a draft runs the pipeline again with fresh facts. ' +
				'A category that is off stays without a draft until an admin switches it on.') : null);
		renderForms();
	}

	async function load(first) {
		try {
			const x = await api.message(id);
			if (!alive) return;
			m = x;
			ws.assign.show(m.assigned_to, true);
			if (first) replace(slot, messagePane(m));
			render();
		} catch (e) {
			if (alive && first) replace(slot, h('p.error', e.status === 404 ? 'No message #' + id + '.' : e.message));
		}
	}

	async function askDraft() {
		ask.disabled = true;
		try {
			await api.redraft(id);
			ctx.notice('A draft was requested for message #' + id + '; it appears in the queue when it is ready.', 'ok');
			await load(false);
		} catch (e) {
			ctx.notice('Not requested: ' + (e.status === 409
				? 'the message is being processed right now; try again in a moment.' : e.message), 'error');
		} finally {
			ask.disabled = false;
		}
	}

	async function doReopen() {
		try {
			await api.reopen(id);
			ctx.notice('Message #' + id + ' is open again, under "Needs a human".', 'ok');
			ctx.refreshBacklog();
			await load(false);
		} catch (e) {
			ctx.notice('Not reopened: ' + e.message, 'error');
		}
	}

	(async () => {
		await load(true);
		const tick = async () => {
			if (!alive) return;
			if (!document.hidden) await load(false);
			if (!document.hidden && ++ticks % 3 === 0) {
				ws.conv.refresh();
				ws.notes.refresh();
			}
			if (alive) timer = setTimeout(tick, 3000);
		};
		timer = setTimeout(tick, 3000);
	})();

	return {
		unmount() {
			alive = false;
			clearTimeout(timer);
		},
		unsaved: () => !!compose && compose.unsaved(),
		onKey(ev) {
			if (ev.key === 'Escape') {
				ctx.navigate('human');
				return true;
			}
			if (ev.key === 't') {
				ws.assign.take();
				return true;
			}
			return false;
		},
	};
}
