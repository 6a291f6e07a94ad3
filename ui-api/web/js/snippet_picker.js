// SPDX-License-Identifier: MIT
// Inserting a snippet into the reply (issue 16 item 3): a picker opened with
// "s" in a draft, or Ctrl+. while typing the reply; type to filter, arrows
// to choose, Enter to insert at the caret. The server fills the snippet
// from the draft's facts (a line whose fact is unknown is left out).

import {api} from './api.js';
import {h, replace} from './dom.js';

let dialog = null;

function ensureDialog() {
	if (dialog) return dialog;
	dialog = h('dialog#snippet-picker',
		h('h2', 'Insert a snippet'),
		h('input#snippet-filter', {type: 'search', placeholder: 'Filter by name or title',
			autocomplete: 'off', spellcheck: false}),
		h('ul#snippet-list'),
		h('p.hint', '↑/↓ choose · Enter insert · Esc close'));
	document.body.append(dialog);
	return dialog;
}

// Opens the picker for draft draftId; language orders the list (the
// draft's language first); textarea gets the text at its caret. Resolves
// when the picker closes.
export async function pickSnippet(draftId, language, textarea, ctx) {
	const dlg = ensureDialog();
	const filter = dlg.querySelector('#snippet-filter');
	const list = dlg.querySelector('#snippet-list');
	const caret = [textarea.selectionStart, textarea.selectionEnd];
	let all = [];
	try {
		all = (await api.snippets()).snippets || [];
	} catch (e) {
		ctx.notice('Snippets could not be loaded: ' + e.message, 'error');
		return;
	}
	if (!all.length) {
		ctx.notice('There are no snippets yet' + (ctx.session.role === 'admin'
			? ': add some under Snippets.' : ': an admin adds them under Snippets.'), 'info');
		return;
	}
	all.sort((a, b) => (a.language === language ? 0 : 1) - (b.language === language ? 0 : 1) ||
		a.name.localeCompare(b.name) || a.language.localeCompare(b.language));
	let shown = all;
	let sel = 0;

	function render() {
		replace(list, shown.map((s, i) => h('li', {class: i === sel ? 'selected' : '',
			dataset: {name: s.name, language: s.language},
			on: {click: () => {
				sel = i;
				choose();
			}}},
		h('strong', s.name), ' ', h('span.lang', s.language), ' ', h('span.muted', s.title || ''))));
		if (!shown.length) list.append(h('li.muted', 'No snippet matches.'));
	}
	async function choose() {
		const s = shown[sel];
		if (!s) return;
		dlg.close();
		try {
			const r = await api.fillSnippet(draftId, s.id);
			const v = textarea.value;
			const [a, b] = caret;
			// at the end of a line of text the snippet starts a paragraph of its own
			const before = v.slice(0, a);
			const sep = before && !/\s$/.test(before) && (b === v.length || v[b] === '\n') ? '\n\n' : '';
			const text = sep + r.text;
			textarea.value = before + text + v.slice(b);
			textarea.focus();
			textarea.setSelectionRange(a + text.length, a + text.length);
			// the editor's own input handling: dirty mark, first-edit claim
			textarea.dispatchEvent(new Event('input', {bubbles: true}));
		} catch (e) {
			ctx.notice('Snippet not inserted: ' + e.message, 'error');
		}
	}
	function onInput() {
		const q = filter.value.trim().toLowerCase();
		shown = all.filter((s) => !q || s.name.includes(q) || (s.title || '').toLowerCase().includes(q));
		sel = 0;
		render();
	}
	function onKey(ev) {
		if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
			ev.preventDefault();
			sel = Math.max(0, Math.min(shown.length - 1, sel + (ev.key === 'ArrowDown' ? 1 : -1)));
			render();
		} else if (ev.key === 'Enter') {
			ev.preventDefault();
			choose();
		}
	}
	filter.value = '';
	filter.addEventListener('input', onInput);
	filter.addEventListener('keydown', onKey);
	render();
	dlg.showModal();
	filter.focus();
	await new Promise((resolve) => dlg.addEventListener('close', resolve, {once: true}));
	filter.removeEventListener('input', onInput);
	filter.removeEventListener('keydown', onKey);
}
