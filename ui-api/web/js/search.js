// SPDX-License-Identifier: MIT
// Search over every message and reply (issue 16 item 5): words in the
// message's language ("Lieferungen" finds "Lieferung"), exact order
// numbers, SKUs, addresses and domains, with filters. The filters live in
// the address (#/search?q=...), so a search can be shared and reloaded.

import {api} from './api.js';
import {h, replace} from './dom.js';
import {when} from './format.js';

const FIELDS = ['q', 'status', 'category', 'mailbox', 'person', 'from', 'to'];

// The excerpt with the matched words between « and » shown as <mark>, as
// text nodes only.
function headline(s) {
	return String(s || '').split(/(«[^»]*»)/).map((part) =>
		/^«.*»$/.test(part) ? h('mark', part.slice(1, -1)) : part);
}

export function mountSearch(root, ctx, params) {
	let alive = true;
	let next = null;
	const f = {
		q: h('input#s-q', {type: 'search', maxlength: 200, placeholder: 'Words, an order number, a SKU, an address or a domain'}),
		status: h('select#s-status', ['', 'open', 'replied', 'closed', 'skipped'].map((s) =>
			h('option', {value: s}, s || 'any status'))),
		category: h('select#s-category', h('option', {value: ''}, 'any category')),
		mailbox: h('select#s-mailbox', h('option', {value: ''}, 'any mailbox')),
		person: h('select#s-person', h('option', {value: ''}, 'anyone'), h('option', {value: 'me'}, 'me')),
		from: h('input#s-from', {type: 'date', title: 'received on or after'}),
		to: h('input#s-to', {type: 'date', title: 'received on or before'}),
	};
	const tbody = h('tbody');
	const count = h('span.count#search-count');
	const more = h('button.more', {type: 'button', hidden: true, on: {click: () => run(true)}}, 'More results');
	const form = h('form.toolbar#search-form', {on: {submit: (ev) => {
		ev.preventDefault();
		const q = new URLSearchParams();
		for (const k of FIELDS) if (f[k].value) q.set(k, f[k].value);
		ctx.navigate('search?' + q.toString());
	}}}, h('h1', 'Search'), f.q, f.status, f.category, f.mailbox, f.person, f.from, f.to,
	h('button.primary#s-go', {type: 'submit'}, 'Search'), count);
	const table = h('table.queue#search-results', h('thead', h('tr', h('th', 'Received'), h('th', 'From'),
		h('th', 'Subject'), h('th', 'Found in'), h('th', 'Status'), h('th', 'Category'), h('th', 'Assigned'))),
	tbody);
	root.append(form, table, more, h('p.hint', 'Words are matched in every language the mail can be in ' +
		'("Lieferungen" finds "Lieferung"); anything with a digit, @ or . also as written.'));

	for (const k of FIELDS) {
		const v = params.get(k);
		if (v && f[k].tagName === 'SELECT' && ![...f[k].options].some((o) => o.value === v)) {
			f[k].append(h('option', {value: v}, v));
		}
		if (v) f[k].value = v;
	}

	async function fillSelects() {
		const [c, m, p] = await Promise.all([api.categories().catch(() => ({})),
			api.mailboxes().catch(() => ({})), api.assignees().catch(() => ({}))]);
		const add = (sel, names) => {
			for (const n of names) {
				if (![...sel.options].some((o) => o.value === n)) sel.append(h('option', {value: n}, n));
			}
			const v = params.get(sel.id.slice(2));
			if (v) sel.value = v;
		};
		add(f.category, (c.categories || []).map((x) => x.name));
		add(f.mailbox, (m.mailboxes || []).map((x) => x.name));
		add(f.person, (p.people || []).map((x) => x.name));
	}

	async function run(append) {
		const q = {limit: 50};
		for (const k of FIELDS) if (params.get(k)) q[k] = params.get(k);
		if (append) q.cursor = next;
		try {
			const r = await api.search(q);
			if (!alive) return;
			if (!append) replace(tbody);
			for (const m of r.messages || []) {
				const route = m.live_draft_id ? 'draft/' + m.live_draft_id : 'message/' + m.id;
				tbody.append(h('tr', {dataset: {message: String(m.id)}},
					h('td', when(m.received_at)), h('td.sender', m.sender || ''),
					h('td.subject', h('a', {route}, m.subject || '(no subject)'),
						h('div.headline', headline(m.headline))),
					h('td', m.matched_in || ''),
					h('td', h('span.status.s-' + String(m.status).replace(/\W/g, ''), m.status)),
					h('td', m.category || ''), h('td', m.assigned_to || '')));
			}
			next = r.next_cursor || null;
			more.hidden = !next;
			replace(count, tbody.children.length + (next ? '+' : '') + ' found');
		} catch (e) {
			if (alive) replace(count, h('span.error', e.message));
		}
	}

	fillSelects();
	run(false);
	if (!params.toString()) f.q.focus();
	return {
		unmount() {
			alive = false;
		},
		onKey(ev) {
			if (ev.key === '/') {
				f.q.focus();
				return true;
			}
			return false;
		},
	};
}
