// SPDX-License-Identifier: MIT
// People (admins): who can sign in, with which role; add a person, change a
// role, disable or enable, set a new password. Everything goes through
// /api/v1/people and is audited with the admin's login. Reviewers get the
// server's 403 and a short explanation instead of the page.

import {api} from './api.js';
import {h, replace} from './dom.js';

export function mountPeople(root, ctx) {
	let alive = true;
	const isAdmin = ctx.session.role === 'admin';
	const list = h('div#people-list');
	root.append(h('div.toolbar', h('h1', 'People')));
	if (!isAdmin) {
		root.append(h('p.error#people-forbidden', 'Only admins can manage people.'));
		return {unmount() {}};
	}

	const form = h('form#person-add.person-add',
		h('h2', 'Add a person'),
		h('label', 'Login ', h('input#person-login', {name: 'login', required: true, maxlength: 64,
			pattern: '[A-Za-z0-9._@\\-]{1,64}', autocomplete: 'off'})),
		h('label', 'Name ', h('input#person-name', {name: 'display_name', maxlength: 200})),
		h('label', 'Email ', h('input#person-email', {name: 'email', type: 'email', maxlength: 320})),
		h('label', 'Role ', h('select#person-role', {name: 'role'},
			h('option', {value: 'reviewer'}, 'reviewer'), h('option', {value: 'admin'}, 'admin'))),
		h('label', 'Password ', h('input#person-password', {name: 'password', type: 'password',
			minlength: 12, autocomplete: 'new-password', placeholder: 'empty: single sign-on only'})),
		h('button.primary', {type: 'submit'}, 'Add'));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const f = (id) => form.querySelector('#person-' + id);
		const body = {login: f('login').value.trim(), role: f('role').value};
		if (f('name').value.trim()) body.display_name = f('name').value.trim();
		if (f('email').value.trim()) body.email = f('email').value.trim();
		if (f('password').value) body.password = f('password').value;
		try {
			await api.addPerson(body);
			ctx.notice(body.login + ' added.', 'ok');
			form.reset();
			load();
		} catch (e) {
			ctx.notice('Not added: ' + e.message, 'error');
		}
	});
	root.append(list, form);

	async function change(p, body, what) {
		try {
			await api.patchPerson(p.login, body);
			ctx.notice(p.login + ': ' + what + '.', 'ok');
		} catch (e) {
			ctx.notice('Not changed: ' + e.message, 'error');
		}
		load();
	}

	async function newPassword(p) {
		const input = h('input#person-new-password', {type: 'password', minlength: 12,
			autocomplete: 'new-password'});
		const ok = await ctx.confirmDialog('New password for ' + p.login,
			h('div', h('p', 'At least 12 characters. Their sessions end.'), input), 'Set password');
		if (ok && input.value) change(p, {password: input.value}, 'password set, sessions ended');
	}

	function row(p) {
		const role = h('select.person-role', {title: 'Role', disabled: p.login === ctx.session.name},
			['reviewer', 'admin'].map((r) => h('option', {value: r, selected: r === p.role}, r)));
		role.addEventListener('change', () => change(p, {role: role.value}, 'now ' + role.value));
		return h('tr', {dataset: {login: p.login}, class: p.disabled ? 'disabled' : ''},
			h('td', h('strong', p.login), p.display_name ? h('div.muted', p.display_name) : null),
			h('td', role),
			h('td', [p.password ? 'password' : null, p.sso ? 'single sign-on' : null]
				.filter(Boolean).join(' + ') || 'none'),
			h('td', p.disabled ? 'disabled' : 'active'),
			h('td', p.last_seen_at ? p.last_seen_at.replace('T', ' ').replace('Z', '') : '—'),
			h('td.actions',
				p.login === ctx.session.name ? h('span.muted', 'you') : h('button.toggle',
					{type: 'button', on: {click: () => change(p, {disabled: !p.disabled},
						p.disabled ? 'enabled' : 'disabled, sessions ended')}},
					p.disabled ? 'Enable' : 'Disable'),
				h('button.password', {type: 'button', on: {click: () => newPassword(p)}},
					'New password')));
	}

	async function load() {
		try {
			const data = await api.people();
			if (!alive) return;
			replace(list, h('table.people',
				h('thead', h('tr', h('th', 'Person'), h('th', 'Role'), h('th', 'Signs in with'),
					h('th', 'State'), h('th', 'Last seen (UTC)'), h('th', ''))),
				h('tbody', data.people.map(row))));
		} catch (e) {
			if (alive) replace(list, h('p.error', e.message));
		}
	}
	load();
	return {unmount() {
		alive = false;
	}};
}
