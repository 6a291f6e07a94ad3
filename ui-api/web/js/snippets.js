// SPDX-License-Identifier: MIT
// Snippets (issue 16 item 3): saved replies per name and language, written
// in the reply templates' language ({{greeting_name}}, {{order.status}},
// {{#order}}...{{/order}}). Everyone sees them; admins add, change and
// delete them (audited).

import {api} from './api.js';
import {h, replace} from './dom.js';
import {when} from './format.js';

const HELP = 'Placeholders are filled from the draft\'s facts when a reviewer inserts the snippet: ' +
	'{{greeting_name}}, {{customer_name}}, {{order.order_id}}, {{order.status}}, {{order.carrier}}, ' +
	'{{order.tracking_number}}, {{order.eta | date}}, {{inventory.qty_on_hand}}, ... A line whose fact ' +
	'is unknown is left out, so write one fact per line.';

export function mountSnippets(root, ctx) {
	const isAdmin = ctx.session.role === 'admin';
	let alive = true;
	let editing = null; // the snippet being changed, or null for a new one
	const tbody = h('tbody');
	const f = {
		name: h('input#sn-name', {type: 'text', maxlength: 64, pattern: '[a-z0-9][a-z0-9_-]*',
			placeholder: 'tracking'}),
		language: h('input#sn-language', {type: 'text', maxlength: 2, placeholder: 'en', size: 3}),
		title: h('input#sn-title', {type: 'text', maxlength: 200, placeholder: 'What it says'}),
		body: h('textarea#sn-body', {rows: 8, maxlength: 20000}),
	};
	const save = h('button.primary#sn-save', {type: 'button', on: {click: doSave}}, 'Save snippet');
	const cancel = h('button#sn-cancel', {type: 'button', on: {click: () => edit(null)}}, 'New snippet');
	const form = isAdmin ? h('section.pane#snippet-form', h('h2#sn-form-title', 'New snippet'),
		h('label', {for: 'sn-name'}, 'Name'), f.name, h('label', {for: 'sn-language'}, 'Language'),
		f.language, h('label', {for: 'sn-title'}, 'Title'), f.title,
		h('label', {for: 'sn-body'}, 'Text'), f.body, h('p.hint', HELP),
		h('div.buttons', save, cancel)) : h('p.hint', 'Admins manage snippets. ' + HELP);
	root.append(h('div.toolbar', h('h1', 'Snippets')),
		h('table.queue#snippets-table', h('thead', h('tr', h('th', 'Name'), h('th', 'Language'),
			h('th', 'Title'), h('th', 'Text'), h('th', 'Changed'), h('th', ''))), tbody), form);

	function edit(s) {
		editing = s;
		if (!isAdmin) return;
		f.name.value = s ? s.name : '';
		f.language.value = s ? s.language : '';
		f.title.value = s ? s.title : '';
		f.body.value = s ? s.body : '';
		replace(root.querySelector('#sn-form-title'), s ? 'Change ' + s.name + ' (' + s.language + ')'
			: 'New snippet');
		f.name.focus();
	}

	async function load() {
		try {
			const r = await api.snippets();
			if (!alive) return;
			replace(tbody, (r.snippets || []).map((s) => h('tr', {dataset: {id: String(s.id)}},
				h('td', h('strong', s.name)), h('td', s.language), h('td', s.title || ''),
				h('td', h('pre.snippet-body', s.body)),
				h('td.muted', (s.updated_by || '') + ' · ' + when(s.updated_at)),
				h('td', isAdmin ? [h('button', {type: 'button', on: {click: () => edit(s)}}, 'Change'),
					h('button.danger', {type: 'button', on: {click: () => doDelete(s)}}, 'Delete')] : ''))));
			if (!(r.snippets || []).length) tbody.append(h('tr', h('td.muted', {colspan: 6}, 'No snippets yet.')));
		} catch (e) {
			if (alive) replace(tbody, h('tr', h('td.error', {colspan: 6}, e.message)));
		}
	}

	async function doSave() {
		const body = {name: f.name.value.trim(), language: f.language.value.trim().toLowerCase(),
			title: f.title.value.trim(), body: f.body.value};
		try {
			if (editing) await api.updateSnippet(editing.id, body);
			else await api.createSnippet(body);
			ctx.notice('Snippet ' + body.name + ' (' + body.language + ') saved.', 'ok', 3000);
			edit(null);
			load();
		} catch (e) {
			ctx.notice('Not saved: ' + e.message, 'error', 12000);
		}
	}

	async function doDelete(s) {
		const ok = await ctx.confirmDialog('Delete snippet ' + s.name + ' (' + s.language + ')?',
			h('p', 'Reviewers can no longer insert it. The deletion is audited.'), 'Delete');
		if (!ok) return;
		try {
			await api.deleteSnippet(s.id);
			load();
		} catch (e) {
			ctx.notice('Not deleted: ' + e.message, 'error');
		}
	}
	load();
	return {unmount() {
		alive = false;
	}};
}
