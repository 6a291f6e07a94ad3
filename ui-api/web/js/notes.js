// SPDX-License-Identifier: MIT
// Internal notes on a message (issue 16 item 3): for colleagues only. They
// are never part of a reply nor of a model request: the server keeps them
// where neither the pipeline nor the outbox reads.

import {api} from './api.js';
import {h, replace} from './dom.js';
import {when} from './format.js';

export function notesPane(id, ctx) {
	const list = h('ul.notes-list#notes-list');
	const body = h('textarea#note-body', {rows: 3, maxlength: 10000,
		placeholder: 'A note for colleagues (never sent to the customer)'});
	const add = h('button#b-add-note', {type: 'button', on: {click: doAdd}}, 'Add note');
	const el = h('section.pane.internal-notes#internal-notes', h('h2', 'Internal notes'), list,
		h('label', {for: 'note-body'}, 'New note'), body, h('div.buttons', add),
		h('p.hint', 'Only people signed in here see notes. They never go into a reply or to the model.'));
	let last = '';
	let stopped = false;

	async function refresh() {
		try {
			const r = await api.notes(id);
			if (stopped) return;
			const key = JSON.stringify(r.notes);
			if (key === last) return;
			last = key;
			replace(list, (r.notes || []).length ? r.notes.map((n) => h('li',
				h('span.muted', n.author + ' · ' + when(n.created_at)), h('p.note-text', n.body)))
				: h('li.muted', 'No notes yet.'));
		} catch (e) {
			replace(list, h('li.error', e.message));
		}
	}

	async function doAdd() {
		const text = body.value;
		if (!text.trim()) {
			ctx.notice('A note needs some text.', 'error');
			return;
		}
		add.disabled = true;
		try {
			await api.addNote(id, text);
			body.value = '';
			await refresh();
		} catch (e) {
			ctx.notice('Note not saved: ' + e.message, 'error');
		} finally {
			add.disabled = false;
		}
	}
	body.addEventListener('keydown', (ev) => {
		if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
			ev.preventDefault();
			doAdd();
		}
	});
	refresh();
	return {el, refresh, stop: () => (stopped = true)};
}
