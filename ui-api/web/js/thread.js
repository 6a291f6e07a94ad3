// SPDX-License-Identifier: MIT
// The whole conversation beside a draft or a message (issue 16 item 2): the
// thread (the customer's mails and our replies, oldest first) and the
// customer's other mail from the same address and the same firm, each one
// click away. Everything is inert text.

import {api} from './api.js';
import {h, replace} from './dom.js';
import {when} from './format.js';

// Where a message opens: its live draft when it has one, else the message.
function routeOf(m) {
	return m.live_draft_id ? 'draft/' + m.live_draft_id : 'message/' + m.id;
}

function threadItem(x) {
	if (x.type === 'reply') {
		return h('li.thread-reply', {dataset: {draft: String(x.id)}},
			h('details', h('summary', h('span.who', 'Our reply'), ' ',
				h('span.muted', when(x.at) + (x.reviewer ? ' · ' + x.reviewer : '') +
					' · ' + (x.delivery || x.status))),
			h('pre.mailtext', x.text || '')));
	}
	return h(x.current ? 'li.thread-message.current' : 'li.thread-message', {dataset: {message: String(x.id)}},
		h('details', {open: !!x.current},
			h('summary', h('span.who', x.from || '(no sender)'), ' ',
				h('span.muted', when(x.at)), ' ',
				x.current ? h('strong', 'this message')
					: h('a', {route: routeOf(x)}, x.subject || '(no subject)'),
				' ', h('span.status.s-' + String(x.status).replace(/\W/g, ''), x.status)),
			x.current ? null : h('pre.mailtext', x.text || '', x.truncated ? '\n[…]' : '')));
}

function historyList(id, title, list, emptyText) {
	return h('div.history-list#' + id, h('h3', title),
		list.length ? h('ul', list.map((m) => h('li', {dataset: {message: String(m.id)}},
			h('a', {route: routeOf(m)}, m.subject || '(no subject)'), ' ',
			h('span.muted', (m.sender || '') + ' · ' + when(m.received_at) + ' · '),
			h('span.status.s-' + String(m.status).replace(/\W/g, ''), m.status),
			m.assigned_to ? h('span.muted', ' · ' + m.assigned_to) : null)))
			: h('p.muted', emptyText));
}

// A pane for message id; refresh() reloads it (the page calls it now and
// then: a reply that went out appears in the thread).
export function conversationPane(id) {
	const el = h('section.pane.conversation#conversation', h('h2', 'Conversation'),
		h('p.muted', 'Loading…'));
	let last = '';
	let stopped = false;
	async function refresh() {
		let t;
		try {
			t = await api.thread(id);
		} catch (e) {
			if (!stopped) replace(el, h('h2', 'Conversation'), h('p.error', e.message));
			return;
		}
		// the view was left while it was on its way: nothing to build
		if (stopped) return;
		// rebuilt only when something changed: open <details> stay open
		const key = JSON.stringify(t);
		if (key === last) return;
		last = key;
		const thread = t.thread || [];
		const mails = thread.filter((x) => x.type === 'message').length;
		const replies = thread.filter((x) => x.type === 'reply').length;
		replace(el, h('h2', 'Conversation'),
			h('h3', 'Thread (' + mails + (mails === 1 ? ' mail, ' : ' mails, ') +
				replies + (replies === 1 ? ' reply)' : ' replies)')),
			h('ol.thread#thread', thread.map(threadItem)),
			historyList('history-address', 'Other mail from ' + (t.address || 'this sender'),
				t.same_address || [], 'none'),
			t.domain_shared ? h('p.muted#history-domain', t.domain + ' is a public mail provider: ' +
				'other senders there are not this customer.')
				: historyList('history-domain', 'Others at ' + (t.domain || 'this domain'),
					t.same_domain || [], 'none'));
	}
	refresh();
	return {el, refresh, stop: () => (stopped = true)};
}
