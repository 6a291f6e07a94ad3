// SPDX-License-Identifier: MIT
// The reviewer page: login, routing between the views, the top bar,
// notices and the keyboard. Views live in their own modules and get a
// container element; they return {unmount, onKey}.

import {api, ApiError, setCsrf, setUnauthorizedHandler, token} from './api.js';
import {$, $$, clear, h, replace} from './dom.js';
import {mountQueue} from './queue.js';
import {mountDraft} from './draft.js';
import {mountCategories} from './categories.js';
import {mountStats} from './stats.js';
import {mountHuman, mountMessage} from './human.js';
import {initSending, undoLast} from './sending.js';
import {refreshBacklog, startBacklog, stopBacklog} from './backlog.js';
import {mountSearch} from './search.js';
import {mountSnippets} from './snippets.js';
import {mountPeople} from './people.js';
import {signinErrorText} from './signin.js';

const session = {name: '', role: '', me: null, via: ''};
let current = null; // the mounted view
let noticeTimer = null;

export function notice(msg, kind = 'info', ms = 6000) {
	const el = $('#notice');
	replace(el, msg);
	el.className = 'notice ' + kind;
	el.hidden = false;
	clearTimeout(noticeTimer);
	if (ms) noticeTimer = setTimeout(() => (el.hidden = true), ms);
}

// A modal confirmation; body is a node or text. Resolves true on OK.
export function confirmDialog(title, body, okLabel = 'OK') {
	const dlg = $('#confirm');
	replace($('#confirm-title'), title);
	replace($('#confirm-body'), body);
	replace($('#confirm-ok'), okLabel);
	return new Promise((resolve) => {
		// y answers OK and n Cancel from the keyboard (Enter on the focused
		// Cancel stays the safe default); not while typing in the dialog
		const keys = (ev) => {
			const t = ev.target;
			if (ev.ctrlKey || ev.metaKey || ev.altKey || (t && /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
			if (ev.key === 'y' || ev.key === 'n') {
				ev.preventDefault();
				dlg.close(ev.key === 'y' ? 'ok' : 'cancel');
			}
		};
		dlg.addEventListener('keydown', keys);
		dlg.addEventListener('close', () => {
			dlg.removeEventListener('keydown', keys);
			resolve(dlg.returnValue === 'ok');
		}, {once: true});
		dlg.returnValue = '';
		dlg.showModal();
		$('#confirm-cancel').focus();
	});
}

export function getSession() {
	return session;
}

// Who is signed in (GET /me): the session's person or the token's. A 401
// means neither the cookie nor the token was accepted.
async function whoAmI() {
	const me = await api.me();
	const r = me.review || {};
	setCsrf(me.csrf_token);
	return {name: me.name || '', role: me.role || 'reviewer', me: true, via: me.via || 'token',
		displayName: me.display_name || '', personId: me.person_id ?? null,
		review: {sendDelay: r.send_delay_seconds ?? null, claimTtl: r.claim_ttl_seconds || 120,
			heartbeat: r.heartbeat_seconds || 40}};
}

function showLogin(message) {
	if (current) current.unmount();
	current = null;
	stopBacklog();
	$('#view').hidden = true;
	$('#nav').hidden = true;
	$('#who').hidden = true;
	$('#login').hidden = false;
	const err = $('#login-error');
	err.hidden = !message;
	replace(err, message || '');
	$('#token').value = '';
	$('#login-password').value = '';
	$('#login-name').focus();
	api.authInfo().then((info) => {
		$('#sso-box').hidden = !info.oidc;
		if (info.oidc_button) replace($('#sso'), info.oidc_button);
	}).catch(() => {});
}

// signedIn: true right after the form or the token was used (a 401 then
// says it was not accepted); false on page load (a 401 just means nobody is
// signed in yet).
async function startSession(signedIn = true) {
	let who;
	try {
		who = await whoAmI();
	} catch (e) {
		const hadToken = !!token.get();
		token.clear();
		if (e.status === 401 && !signedIn) showLogin();
		else showLogin(e.status === 401 ? (hadToken ? 'That token was not accepted.'
			: 'Your session has ended. Sign in again.') : e.message);
		return;
	}
	Object.assign(session, who);
	startBacklog();
	document.body.dataset.role = session.role;
	replace($('#who-name'), session.displayName || session.name || 'signed in');
	$('#who-name').title = session.name + (session.via === 'token' ? ' (API token)' : '');
	replace($('#who-role'), session.role);
	$('#login').hidden = true;
	$('#nav').hidden = false;
	$('#who').hidden = false;
	$('#view').hidden = false;
	shownHash = window.location.hash;
	route();
}

function route() {
	if (!session.role) {
		showLogin();
		return;
	}
	const hash = window.location.hash.replace(/^#\/?/, '') || 'queue';
	const [view, arg] = hash.split('?')[0].split('/');
	if (current) current.unmount();
	current = null;
	const el = clear($('#view'));
	el.className = 'view view-' + view;
	for (const a of $$('#nav a')) a.classList.toggle('active', a.dataset.view === view);
	const ctx = {session, notice, confirmDialog, navigate, refreshBacklog};
	if (view === 'draft' && arg) current = mountDraft(el, arg, ctx);
	else if (view === 'categories') current = mountCategories(el, ctx);
	else if (view === 'stats') current = mountStats(el, ctx);
	else if (view === 'human') current = mountHuman(el, ctx);
	else if (view === 'message' && arg) current = mountMessage(el, arg, ctx);
	else if (view === 'search') current = mountSearch(el, ctx, new URLSearchParams(hash.split('?')[1] || ''));
	else if (view === 'snippets') current = mountSnippets(el, ctx);
	else if (view === 'people') current = mountPeople(el, ctx);
	else current = mountQueue(el, ctx, new URLSearchParams(hash.split('?')[1] || ''));
}

let shownHash = '';

// A view with unsaved edits (the draft editor) is only left when the
// reviewer says so; the address bar goes back meanwhile.
async function leaveOk(target) {
	if (!current || !current.unsaved || !current.unsaved()) return true;
	if (target !== shownHash) history.replaceState(null, '', shownHash || '#/queue');
	const ok = await confirmDialog('Leave without saving?',
		h('p', 'Your edits to this draft are not saved. Leave and lose them?'), 'Leave without saving');
	if (ok && target !== shownHash) history.replaceState(null, '', target);
	return ok;
}

async function go() {
	const target = window.location.hash;
	if (!(await leaveOk(target))) return;
	shownHash = window.location.hash;
	route();
}

export function navigate(path) {
	const target = '#/' + path;
	if (window.location.hash === target) go();
	else window.location.hash = target;
}

let gPending = false;
function onKey(ev) {
	if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
	const t = ev.target;
	const typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
	if ($('#help').open || $('#confirm').open) return;
	if (typing) {
		if (ev.key === 'Escape') t.blur();
		return;
	}
	if (!session.role) return;
	if (gPending) {
		gPending = false;
		const dest = {q: 'queue', h: 'human', c: 'categories', s: 'stats', f: 'search',
			n: 'snippets', m: 'queue?assigned=me'}[ev.key];
		if (dest) {
			ev.preventDefault();
			navigate(dest);
		}
		return;
	}
	if (ev.key === '?') {
		ev.preventDefault();
		$('#help').showModal();
		return;
	}
	if (ev.key === 'z' && undoLast()) {
		ev.preventDefault();
		return;
	}
	if (ev.key === 'g') {
		gPending = true;
		setTimeout(() => (gPending = false), 1500);
		return;
	}
	if (current && current.onKey && current.onKey(ev)) ev.preventDefault();
}

function init() {
	initSending({notice, navigate});
	setUnauthorizedHandler(() => {
		const hadToken = !!token.get();
		token.clear();
		setCsrf('');
		Object.assign(session, {name: '', role: '', me: null, via: ''});
		showLogin(hadToken ? 'Your token is no longer accepted (revoked or expired). Sign in again.'
			: 'Your session has ended (signed out, expired or disabled). Sign in again.');
	});
	$('#login-form').addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const login = $('#login-name').value.trim();
		const password = $('#login-password').value;
		if (!login || !password) return;
		const button = $('#login-submit');
		button.disabled = true;
		try {
			token.clear();
			await api.login(login, password);
			$('#login-password').value = '';
			await startSession(true);
		} catch (e) {
			$('#login-password').value = '';
			const err = $('#login-error');
			err.hidden = false;
			replace(err, e.code === 'invalid_credentials' ? 'Wrong login or password.' : e.message);
			$('#login-password').focus();
		} finally {
			button.disabled = false;
		}
	});
	$('#token-form').addEventListener('submit', (ev) => {
		ev.preventDefault();
		const t = $('#token').value.trim();
		if (!t) return;
		token.set(t);
		startSession(true);
	});
	$('#logout').addEventListener('click', async () => {
		if (session.via === 'session') {
			try {
				await api.logout();
			} catch (e) {
				// the session may have ended already: signed out either way
			}
		}
		token.clear();
		setCsrf('');
		Object.assign(session, {name: '', role: '', me: null, via: ''});
		window.location.hash = '#/queue';
		showLogin('Signed out.');
	});
	$('#help-button').addEventListener('click', () => $('#help').showModal());
	window.addEventListener('hashchange', () => {
		if (session.role) go();
	});
	window.addEventListener('beforeunload', (ev) => {
		if (current && current.unsaved && current.unsaved()) {
			ev.preventDefault();
			ev.returnValue = ''; // older Chromium asks only when this is set
		}
	});
	document.addEventListener('keydown', onKey);
	// back from single sign-on with a refusal: say why, and drop it from the
	// address bar so a reload does not repeat it
	const params = new URLSearchParams(window.location.search);
	const signinError = params.get('signin_error');
	if (signinError) {
		history.replaceState(null, '', window.location.pathname + window.location.hash);
		showLogin(signinErrorText(signinError));
		return;
	}
	// a bearer token in this tab, or else the session cookie (if any)
	startSession(false);
}

export {ApiError, h};

init();
