// SPDX-License-Identifier: MIT
// Who looks after a message (issue 16 item 4): "Take it", hand it to a
// colleague, or give it back. Taking sends whom the page showed as the
// current assignee, so of two people taking at once one is told who won.

import {api} from './api.js';
import {h, replace} from './dom.js';

let people = null; // GET /assignees, once per page load

export function assignControl(id, ctx) {
	let current = null; // assigned_to as last shown
	let hold = 0; // until then a periodic refresh does not undo what this page just set
	const who = h('span#assigned-to');
	const take = h('button#b-take', {type: 'button', on: {click: () => set(ctx.session.name)}}, 'Take it');
	const select = h('select#assign-to', {title: 'Assign to'});
	const give = h('button#b-assign', {type: 'button', on: {click: () => set(select.value)}}, 'Assign');
	const el = h('div.assign#assign', 'Assigned to ', who, ' ', take, ' ', select, give);

	// fromLoad: the view's periodic load, which may predate this page's change
	function show(assigned, fromLoad = false) {
		if (fromLoad && Date.now() < hold) return;
		current = assigned || null;
		replace(who, current ? (current === ctx.session.name ? 'you' : current) : 'nobody');
		who.className = current ? 'assigned' : 'muted';
		take.hidden = current === ctx.session.name;
		select.value = current || '';
	}

	async function fill() {
		try {
			people = people || (await api.assignees()).people || [];
		} catch (e) {
			people = [];
		}
		replace(select, h('option', {value: ''}, 'nobody'),
			people.map((p) => h('option', {value: p.name}, p.name + (p.name === ctx.session.name
				? ' (you)' : '') + (p.open ? ' · ' + p.open + ' open' : ''))));
		select.value = current || '';
	}

	async function set(to) {
		try {
			const r = await api.assign(id, to || '', current || '');
			hold = Date.now() + 8000;
			show(r.assigned_to);
			ctx.notice(r.assigned_to ? 'Message #' + id + ' is assigned to ' +
				(r.assigned_to === ctx.session.name ? 'you' : r.assigned_to) + '.'
				: 'Message #' + id + ' is assigned to nobody.', 'ok', 3000);
		} catch (e) {
			const d = e.detail || {};
			if (e.status === 409) {
				hold = Date.now() + 8000;
				show(d.assigned_to);
				ctx.notice((d.assigned_to || 'Someone') + ' took message #' + id + ' meanwhile.', 'error');
			} else {
				ctx.notice('Not assigned: ' + e.message, 'error');
			}
		}
	}
	fill();
	// take: the t key
	return {el, show, take: () => (current === ctx.session.name ? null : set(ctx.session.name))};
}
