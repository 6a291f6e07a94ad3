// SPDX-License-Identifier: MIT
// The queue: pending drafts with filters, keyboard navigation and a live
// refresh that replaces only the table body, so the filter inputs (and
// whatever the reviewer is typing in them) are never rebuilt.

import {api} from './api.js';
import {$, h, replace} from './dom.js';
import {age, pct, shortFlag, flagWords} from './format.js';
import {approve, confirmApprove, conflictWords, isFactConflict, outcomeWords, QUEUE_FILTERS, reject,
	rejectDialog} from './actions.js';
import {trackSend} from './sending.js';
import {messageBadge} from './states.js';
import {keep, keepSelected, keptList, learn, prefetchDraft, reconcile} from './queue_kept.js';

const REFRESH_MS = 5000;
const STORE = QUEUE_FILTERS;
const STATUSES = ['open', 'pending', 'claimed', 'approved', 'sent', 'auto_sent', 'rejected', 'failed',
	'superseded', ''];

function savedFilters() {
	try {
		return JSON.parse(sessionStorage.getItem(STORE)) || {};
	} catch (e) {
		return {};
	}
}

// The filter lists change seldom while /categories computes every category's
// evidence (seconds with 100k drafts, holding a server thread): the queue,
// mounted on every return from a draft, asks at most every 5 minutes.
const LISTS_MS = 5 * 60 * 1000;
let lists = null;
function filterLists() {
	if (!lists || Date.now() - lists.at > LISTS_MS) {
		const p = Promise.all([api.categories(), api.mailboxes().catch(() => ({}))]);
		lists = {at: Date.now(), p};
		p.catch(() => (lists = null));
	}
	return lists.p;
}

export function mountQueue(root, ctx, params) {
	const f = {status: 'open', category: '', mailbox: '', q: '', order: 'oldest', assigned: '',
		   ...savedFilters()};
	// #/queue?assigned=me: "mine" (g m)
	if (params && params.has('assigned')) f.assigned = params.get('assigned');
	let rows = [];
	let next = null;
	let selected = null; // draft id
	let timer = null;
	let alive = true;
	let asked = 0; // lists asked for: only the answer to the latest is shown
	let rowsAt = -Infinity; // when the list the rows come from was asked for
	let inFlight = 0;
	let wanted = 50;

	const status = h('select#f-status', {title: 'Status', on: {change: () => set('status', status.value)}},
		STATUSES.map((s) => h('option', {value: s, selected: s === f.status},
			s === 'open' ? 'open (pending + claimed)' : s || 'any status')));
	const category = h('select#f-category', {title: 'Category',
		on: {change: () => set('category', category.value)}}, h('option', {value: ''}, 'any category'));
	const mailbox = h('select#f-mailbox', {title: 'Mailbox',
		on: {change: () => set('mailbox', mailbox.value)}}, h('option', {value: ''}, 'any mailbox'));
	let qTimer = null;
	const search = h('input#f-q', {type: 'search', placeholder: 'Search subject, sender, body  (/)',
		value: f.q, maxlength: 200, on: {input: () => {
			clearTimeout(qTimer);
			qTimer = setTimeout(() => set('q', search.value.trim()), 300);
		}}});
	const assigned = h('select#f-assigned', {title: 'Assigned to',
		on: {change: () => set('assigned', assigned.value)}},
		[['', 'anyone\'s'], ['me', 'mine'], ['none', 'unassigned']].map(([v, t]) =>
			h('option', {value: v, selected: v === f.assigned}, t)));
	const order = h('select#f-order', {title: 'Order', on: {change: () => set('order', order.value)}},
		h('option', {value: 'oldest', selected: f.order === 'oldest'}, 'oldest first'),
		h('option', {value: 'newest', selected: f.order === 'newest'}, 'newest first'));
	const count = h('span.count');
	const updated = h('span.updated');
	const tbody = h('tbody');
	const more = h('button.more', {type: 'button', hidden: true, on: {click: loadMore}}, 'Load more');
	const table = h('table.queue#queue-table',
		h('thead', h('tr', h('th', 'Category'), h('th', 'From'), h('th', 'Subject'),
			     h('th.num', 'Age'), h('th.num', 'Confidence'), h('th', 'Flags'),
			     h('th', 'Held by'), h('th', 'Assigned'), h('th', 'Draft'), h('th', 'Message'))),
		tbody);
	const empty = h('p.empty', {hidden: true}, 'Nothing here. New drafts appear by themselves.');
	// issue 18: a mailbox that cannot send (no Sent folder found or made)
	const problems = h('div.conflict#mailbox-problems', {role: 'alert', hidden: true});

	root.append(
		h('div.toolbar', h('h1', 'Queue'), status, category, mailbox, assigned, search, order, count,
			updated),
		problems, table, empty, more,
		h('p.hint', 'j/k move · e or Enter open · a approve · r reject · / search · ? help'));

	function set(k, v) {
		f[k] = v;
		sessionStorage.setItem(STORE, JSON.stringify(f));
		wanted = 50;
		// filters shown before in this page: drawn at once, then asked again
		const shown = showKept(true);
		load(!shown);
	}

	// The list as the page kept it (back from a draft): drawn at once, then
	// asked for again. false when there is none for these filters.
	function showKept(top = false) {
		const k = keptList(f);
		if (!k) return false;
		rows = k.rows;
		rowsAt = k.askedAt;
		next = k.next;
		wanted = Math.max(50, rows.length);
		if (top) {
			selected = rows.length ? String(rows[0].id) : null;
		} else if (k.selected) {
			const i = rows.findIndex((r) => String(r.id) === String(k.selected.id));
			const at = i >= 0 ? i : Math.min(k.selected.index, rows.length - 1);
			selected = at >= 0 ? String(rows[at].id) : null;
		}
		render(false);
		replace(updated, 'updating…');
		return true;
	}

	function query(cursor, limit) {
		// "open" is pending plus claimed: the reviewer sees who holds what
		return {status: f.status, category: f.category, mailbox: f.mailbox, q: f.q,
			assigned: f.assigned, order: f.order, limit, cursor};
	}

	async function fillSelects() {
		try {
			const [c, m] = await filterLists();
			for (const x of c.categories || []) {
				category.append(h('option', {value: x.name, selected: x.name === f.category}, x.name));
			}
			for (const x of m.mailboxes || []) {
				mailbox.append(h('option', {value: x.name, selected: x.name === f.mailbox}, x.name));
			}
			const stuck = (m.mailboxes || []).filter((x) => x.sent_problem);
			problems.hidden = stuck.length === 0;
			problems.append(...stuck.map((x) => h('p.mailbox-problem', {dataset: {mailbox: x.name}},
				'Mailbox ' + x.name + ' cannot send replies: ' + x.sent_problem)));
		} catch (e) {
			/* the table still works without the filter lists */
		}
	}

	// reset: the filters changed (the selection starts at the top). A
	// periodic refresh (background) is skipped while a list is on its way;
	// a changed filter asks at once, and only the latest answer is drawn.
	async function load(reset, background = false) {
		if (background && inFlight > 0) return;
		const mine = ++asked;
		const askedAt = performance.now();
		const shownFor = {...f};
		inFlight++;
		try {
			const r = await api.drafts(query(undefined, Math.min(200, wanted)));
			if (!alive || mine !== asked) return;
			rows = reconcile(r.drafts || [], askedAt, shownFor.status);
			rowsAt = askedAt;
			next = r.next_cursor || null;
			keep(shownFor, r.drafts || [], next, askedAt);
			render(reset);
			replace(updated, 'updated ' + new Date().toLocaleTimeString());
			updated.classList.remove('stale');
		} catch (e) {
			if (!alive || mine !== asked) return;
			replace(updated, 'refresh failed: ' + e.message);
			updated.classList.add('stale');
		} finally {
			inFlight--;
		}
	}

	function mergeRows(a, b) {
		const seen = new Set(a.map((x) => String(x.id)));
		const all = a.concat(b.filter((x) => !seen.has(String(x.id))));
		const dir = f.order === 'newest' ? -1 : 1;
		return all.sort((x, y) => dir * (Number(x.id) - Number(y.id)));
	}

	async function loadMore() {
		if (!next) return;
		try {
			const askedAt = performance.now();
			const r = await api.drafts(query(next, 50));
			rows = mergeRows(rows, reconcile(r.drafts || [], askedAt, f.status));
			rowsAt = askedAt;
			next = r.next_cursor || null;
			wanted = rows.length;
			keep(f, rows, next, askedAt);
			render(false);
		} catch (e) {
			ctx.notice(e.message, 'error');
		}
	}

	// What a row shows: a refresh that would draw the same leaves the table
	// alone (no rebuild, no layout while the reviewer moves on).
	let shownKey = null;
	const rowsKey = () => JSON.stringify(rows.map((d) => [d.id, d.status, d.category, d.sender, d.subject,
		d.message_subject, age(d.age_seconds), d.confidence, d.flags, d.claimed_by, d.assigned_to,
		d.message_status])) + (next ? '+' : '');

	// The rows are built off the document and go in with one write.
	function render(reset) {
		const t0 = performance.now();
		if (reset || !rows.some((r) => String(r.id) === selected)) {
			// the selected row went (decided): its successor takes its place
			const was = reset ? -1 : lastIndex;
			selected = rows.length ? String(rows[Math.max(0, Math.min(was, rows.length - 1))].id) : null;
		}
		const key = rowsKey();
		if (key === shownKey) {
			const tr = tbody.querySelector('tr.selected');
			if (selected && (!tr || tr.dataset.id !== selected)) select(selected);
			else noteSelected();
			return;
		}
		shownKey = key;
		const frag = document.createDocumentFragment();
		for (const d of rows) {
			const id = String(d.id);
			const flags = [...new Set((d.flags || []).map(shortFlag).map((x) =>
				x === 'suspected_injection' ? 'injection_suspect' : x))];
			const tr = h('tr', {dataset: {id}, class: [id === selected && 'selected',
				flags.length && 'flagged'], on: {click: () => select(id),
				dblclick: () => ctx.navigate('draft/' + id)}},
				h('td', h('span.cat', d.category || '(none)')),
				h('td.sender', d.sender || ''),
				// the customer's own subject; the reply's is in the title
				h('td.subject', {title: d.subject ? 'Reply: ' + d.subject : ''},
					h('a', {route: 'draft/' + id}, d.message_subject || d.subject || '(no subject)')),
				h('td.num', {title: d.created_at || ''}, age(d.age_seconds)),
				h('td.num', {title: d.confidence_source || ''}, pct(d.confidence)),
				h('td', flags.map((x) => h('span.flag', {title: flagWords(x).words}, shortFlag(x)))),
				h('td', d.claimed_by ? h('span.claim', {title: 'editing now'}, d.claimed_by) : ''),
				h('td.assigned', d.assigned_to ? h(d.assigned_to === ctx.session.name
					? 'span.assignee.mine' : 'span.assignee', d.assigned_to === ctx.session.name ? 'you' : d.assigned_to) : ''),
				h('td', h('span.status.s-' + String(d.status).replace(/\W/g, ''), d.status)),
				h('td', messageBadge({message_status: d.message_status}) || ''));
			frag.append(tr);
		}
		tbody.replaceChildren(frag);
		noteSelected();
		empty.hidden = rows.length > 0;
		table.hidden = rows.length === 0;
		more.hidden = !next;
		replace(count, rows.length + (next ? '+' : '') + ' shown');
		// make bench's page figures say how much of an interaction this was
		performance.measure('render', {start: t0});
	}

	let lastIndex = 0; // where the selected row was: its successor is selected when it goes
	function noteSelected() {
		const i = rows.findIndex((r) => String(r.id) === selected);
		if (i >= 0) lastIndex = i;
		keepSelected(f, selected, lastIndex);
		if (alive) prefetchDraft(selected, api.draft);
	}

	function select(id) {
		const before = tbody.querySelector('tr.selected');
		if (before) before.classList.remove('selected');
		selected = id;
		const tr = tbody.querySelector('tr[data-id="' + CSS.escape(id) + '"]');
		if (tr) {
			tr.classList.add('selected');
			tr.scrollIntoView({block: 'nearest'});
		}
		noteSelected();
	}

	// A row this page decided leaves the list at once (the refresh that
	// follows cannot bring it back: queue_kept.js).
	function decidedHere(id, status) {
		learn(id, status);
		rows = reconcile(rows, rowsAt, f.status);
		render(false);
		// still listed (the filter takes decided drafts too): on to the next
		if (selected === String(id)) move(1);
	}

	function move(delta) {
		if (!rows.length) return;
		let i = rows.findIndex((r) => String(r.id) === selected);
		i = Math.max(0, Math.min(rows.length - 1, (i < 0 ? 0 : i + delta)));
		select(String(rows[i].id));
	}

	const current = () => rows.find((r) => String(r.id) === selected);

	async function quickApprove() {
		const d = current();
		if (!d) return;
		if (!(await confirmApprove(ctx, d))) return;
		try {
			const r = await approve(d.id, null);
			trackSend({...r, id: r.id || d.id}, 'Draft #' + d.id + ' to ' + (d.recipient || d.sender || '?'));
			ctx.refreshBacklog();
			decidedHere(d.id, r.status || 'approved');
			load(false);
		} catch (e) {
			if (isFactConflict(e)) {
				ctx.notice('The facts changed since draft #' + d.id + ' was written: review it.', 'error');
				ctx.navigate('draft/' + d.id);
			} else {
				ctx.notice('Not approved: ' + (e.status === 409 ? conflictWords(e) : e.message), 'error');
			}
		}
	}

	async function quickReject() {
		const d = current();
		if (!d) return;
		const choice = await rejectDialog(ctx, d);
		if (!choice) return;
		try {
			const r = await reject(d.id, choice);
			ctx.notice('Draft #' + d.id + ' rejected. ' + outcomeWords(r && r.message, choice), 'ok', 9000);
			ctx.refreshBacklog();
			decidedHere(d.id, 'rejected');
			load(false);
		} catch (e) {
			ctx.notice('Not rejected: ' + (e.status === 409 ? conflictWords(e) : e.message), 'error');
		}
	}

	function onKey(ev) {
		switch (ev.key) {
		case 'j': case 'ArrowDown': move(1); return true;
		case 'k': case 'ArrowUp': move(-1); return true;
		case 'e': case 'Enter': case 'o':
			if (selected) ctx.navigate('draft/' + selected);
			return true;
		case 'a': quickApprove(); return true;
		case 'r': quickReject(); return true;
		case '/': search.focus(); return true;
		default: return false;
		}
	}

	async function tick() {
		if (!alive) return;
		if (!document.hidden) await load(false, true);
		if (alive) timer = setTimeout(tick, REFRESH_MS);
	}

	fillSelects();
	const fromKept = showKept();
	load(!fromKept).then(() => {
		if (alive) timer = setTimeout(tick, REFRESH_MS);
	});

	return {
		unmount() {
			alive = false;
			clearTimeout(timer);
			clearTimeout(qTimer);
		},
		onKey,
	};
}
