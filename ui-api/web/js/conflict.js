// SPDX-License-Identifier: MIT
// When two people changed one draft: both texts side by side, and nothing
// either of them wrote is thrown away without the reviewer choosing it.

import {h, replace} from './dom.js';

const FIELDS = [['recipient', 'To'], ['cc', 'Cc'], ['subject', 'Subject'], ['body', 'Body']];

export function fieldsOf(x) {
	return {subject: (x && x.subject) || '', body: (x && x.body) || '',
		recipient: (x && x.recipient) || '', cc: (x && x.cc) || ''};
}

// The text a reviewer could not save, read-only and selectable, so it can be
// copied back whatever happens to the draft.
export function keptText(mine, title = 'Your text (not saved)') {
	const changed = FIELDS.filter(([k]) => mine[k]);
	return h('div.kept#kept-mine',
		h('h3', title),
		changed.map(([k, label]) => [h('label', {for: 'kept-' + k}, label),
			k === 'body' ? h('textarea#kept-body', {readonly: true, rows: 10}, mine[k])
				: h('input', {id: 'kept-' + k, readonly: true, value: mine[k]})]));
}

// panel: the conflict element. mine / theirs: {subject, body, recipient, cc};
// who / version: who saved theirs. onKeepMine() saves mine over theirs,
// onTakeTheirs() loads theirs into the editor (mine stays in the panel).
export function showStale(panel, {mine, theirs, who, version, onKeepMine, onTakeTheirs}) {
	panel.dataset.kind = 'stale';
	const differ = FIELDS.filter(([k]) => mine[k] !== theirs[k]);
	const side = (title, x, cls) => h('div.side.' + cls,
		h('h3', title),
		differ.map(([k, label]) => [h('h4', label), h('pre.' + (cls === 'theirs' ? 'was' : 'now'),
			x[k] || '(empty)')]));
	replace(panel,
		h('h2', 'Someone else changed this draft (now version ' + version + ')'),
		h('p', (who ? who + ' saved' : 'A newer version was saved') +
			' while you were editing. Your edits were not saved and are still in the editor. ' +
			'Both texts are here; pick one, or take theirs and copy parts of yours back.'),
		h('div.sides#conflict-sides',
			side('Saved by ' + (who || 'someone else') + ' (version ' + version + ')', theirs, 'theirs'),
			side('Yours (not saved)', mine, 'mine')),
		h('div.buttons',
			h('button.primary#b-overwrite', {type: 'button', on: {click: onKeepMine}},
				'Save mine over theirs'),
			h('button#b-take-theirs', {type: 'button', on: {click: () => {
				onTakeTheirs();
				replace(panel, h('h2', 'Their version is in the editor'),
					h('p', 'Your text is kept here until you dismiss it.'), keptText(mine),
					h('div.buttons', h('button#b-dismiss-mine', {type: 'button',
						on: {click: () => {
							panel.hidden = true;
						}}}, 'Dismiss my text')));
			}}}, 'Load theirs, keep mine here')));
	panel.hidden = false;
	panel.scrollIntoView({block: 'nearest'});
}

// Someone else holds the draft now: what this reviewer typed is kept.
export function showTakenAway(panel, holder, mine) {
	panel.dataset.kind = 'taken';
	replace(panel,
		h('h2', holder + ' holds this draft now'),
		h('p', 'Your edits could not be saved while ' + holder + ' is working on it, and the editor ' +
			'is read-only. Your text is kept here: copy it, or save it once ' + holder + ' has left.'),
		keptText(mine));
	panel.hidden = false;
	panel.scrollIntoView({block: 'nearest'});
}
