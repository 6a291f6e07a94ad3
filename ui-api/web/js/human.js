// Mail that got no draft (state human: the category is off, the message was
// oversized, the model could not draft): a list, and one message as inert
// text from which the reviewer can ask for a draft.

import {api} from './api.js';
import {h, replace} from './dom.js';
import {age, ageSince, when} from './format.js';
import {messagePane} from './draft.js';

const REFRESH_MS = 10000;

export function mountHuman(root, ctx) {
	let alive = true;
	let timer = null;
	let rows = [];
	let selected = 0;
	const tbody = h('tbody');
	const count = h('span.count');
	const updated = h('span.updated');
	const table = h('table.queue#human-table',
		h('thead', h('tr', h('th', 'From'), h('th', 'Subject'), h('th', 'Why no draft'),
			h('th', 'Category'), h('th', 'Mailbox'), h('th.num', 'Age'))), tbody);
	const empty = h('p.empty', {hidden: true}, 'Nothing waits for a human: every message got a draft or was screened out.');
	root.append(h('div.toolbar', h('h1', 'Needs a human'), count, updated),
		h('p.hint', 'Messages draftd did not draft. Open one to read it and write the reply yourself, or ask for a draft.'),
		table, empty, h('p.hint', 'j/k move · e or Enter open · ? help'));

	function render() {
		replace(tbody, rows.map((m, i) => h('tr', {dataset: {id: String(m.id)},
			class: i === selected && 'selected', on: {click: () => select(i),
				dblclick: () => ctx.navigate('message/' + m.id)}},
			h('td.sender', m.sender || ''),
			h('td.subject', h('a', {route: 'message/' + m.id}, m.subject || '(no subject)')),
			h('td.reason', m.reason || '–'),
			h('td', m.category ? h('span.cat', m.category) : '–'),
			h('td', m.mailbox || ''),
			h('td.num', {title: m.received_at || ''}, age(m.age_seconds)))));
		empty.hidden = rows.length > 0;
		table.hidden = rows.length === 0;
		replace(count, rows.length + ' waiting');
	}

	function select(i) {
		selected = Math.max(0, Math.min(rows.length - 1, i));
		Array.from(tbody.children).forEach((tr, j) => tr.classList.toggle('selected', j === selected));
	}

	async function load() {
		try {
			const r = await api.messages({state: 'human', order: 'oldest', limit: 200});
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

export function mountMessage(root, id, ctx) {
	let alive = true;
	let timer = null;
	let m = null;
	let shown = false;
	const status = h('div.pane.why#message-why');
	const slot = h('div.slot-message');
	const ask = h('button.primary#b-ask-draft', {type: 'button', on: {click: askDraft}}, 'Ask for a draft');
	root.append(h('div.toolbar', h('a.back', {route: 'human'}, '← Needs a human'),
		h('h1#message-title', 'Message #' + id)), h('div.draft-layout', slot, status));

	function renderStatus() {
		const drafts = m.drafts || [];
		const job = m.job || null;
		replace(status,
			h('h2', 'Why no draft'),
			h('p.reason#message-reason', m.reason || 'No reason was recorded.'),
			h('dl.summary',
				h('dt', 'State'), h('dd', h('span.status.s-' + String(m.state).replace(/\W/g, ''), m.state)),
				h('dt', 'Category'), h('dd', m.category || '–'),
				h('dt', 'Language'), h('dd', m.language || '–'),
				h('dt', 'Mailbox'), h('dd', m.mailbox || '–'),
				h('dt', 'Received'), h('dd', when(m.received_at) + ' (' + ageSince(m.received_at) + ' ago)'),
				job ? [h('dt', 'Pipeline job'), h('dd', job.state + ' · ' + job.attempts + ' attempt(s)' +
					(job.last_error ? ' · ' + job.last_error : ''))] : null),
			drafts.length ? [h('h3', 'Drafts'), h('ul#message-drafts', drafts.map((d) =>
				h('li', h('a', {route: 'draft/' + d.id}, 'Draft #' + d.id), ' ', d.status)))] : null,
			h('div.buttons', ask),
			h('p.hint', 'Asking for a draft runs the pipeline again with fresh facts. A category that is off' +
				' stays without a draft until an admin switches it on.'));
	}

	async function load(first) {
		try {
			const x = await api.message(id);
			if (!alive) return;
			m = x;
			replace(root.querySelector('#message-title'), 'Message #' + m.id + ': ',
				(m.headers && m.headers.subject) || '(no subject)');
			if (!shown) {
				replace(slot, messagePane(m));
				shown = true;
			}
			renderStatus();
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

	(async () => {
		await load(true);
		const tick = async () => {
			if (!alive) return;
			if (!document.hidden) await load(false);
			if (alive) timer = setTimeout(tick, 3000);
		};
		timer = setTimeout(tick, 3000);
	})();

	return {
		unmount() {
			alive = false;
			clearTimeout(timer);
		},
		onKey(ev) {
			if (ev.key === 'Escape') {
				ctx.navigate('human');
				return true;
			}
			return false;
		},
	};
}
