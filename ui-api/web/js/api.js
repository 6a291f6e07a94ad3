// SPDX-License-Identifier: MIT
// The REST client: every request goes to this page's own origin under
// /api/v1. A person signed in with the form is known by the HttpOnly session
// cookie (the browser sends it; the page never sees it) and sends the
// session's CSRF token on every state-changing request; automation and tests
// may use a bearer token kept in sessionStorage instead.

const KEY = 'draftd.token';
const BASE = '/api/v1';

export class ApiError extends Error {
	constructor(status, code, message, detail) {
		super(message || code || ('HTTP ' + status));
		this.status = status;
		this.code = code || '';
		this.detail = detail;
	}
}

export const token = {
	get: () => sessionStorage.getItem(KEY),
	set: (t) => sessionStorage.setItem(KEY, t),
	clear: () => sessionStorage.removeItem(KEY),
};

// The session's CSRF token (from sign-in or GET /me), in memory only.
let csrfToken = '';
export function setCsrf(t) {
	csrfToken = t || '';
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
	onUnauthorized = fn;
}

// request('GET', '/drafts', {query, body, headers}) -> parsed JSON (or null).
export async function request(method, path, opts = {}) {
	const url = new URL(BASE + path, window.location.origin);
	for (const [k, v] of Object.entries(opts.query || {})) {
		if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
	}
	const headers = {Accept: 'application/json', ...(opts.headers || {})};
	const t = opts.token !== undefined ? opts.token : token.get();
	if (t) headers.Authorization = 'Bearer ' + t;
	else if (csrfToken && method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
	let body;
	if (opts.body !== undefined) {
		headers['Content-Type'] = 'application/json';
		body = JSON.stringify(opts.body);
	}
	let resp;
	try {
		resp = await fetch(url, {method, headers, body, credentials: 'same-origin', cache: 'no-store',
					 referrerPolicy: 'no-referrer', keepalive: !!opts.keepalive});
	} catch (e) {
		throw new ApiError(0, 'network', 'draftd is not reachable: ' + e.message);
	}
	let data = null;
	const type = resp.headers.get('Content-Type') || '';
	if (type.includes('json')) {
		try {
			data = await resp.json();
		} catch (e) {
			data = null;
		}
	}
	if (!resp.ok) {
		const err = (data && data.error) || {};
		const e = new ApiError(resp.status, err.code, err.message, err.detail);
		if (resp.status === 401 && !opts.noAuthRedirect) onUnauthorized(e);
		throw e;
	}
	return data;
}

export const api = {
	me: () => request('GET', '/me', {noAuthRedirect: true}),
	authInfo: () => request('GET', '/auth', {noAuthRedirect: true, token: ''}),
	login: (login, password) => request('POST', '/auth/login',
		{body: {login, password}, noAuthRedirect: true, token: ''}),
	logout: () => request('POST', '/auth/logout', {noAuthRedirect: true}),
	people: () => request('GET', '/people'),
	addPerson: (body) => request('POST', '/people', {body}),
	patchPerson: (login, body) => request('PATCH', '/people/' + encodeURIComponent(login), {body}),
	drafts: (q) => request('GET', '/drafts', {query: q}),
	draft: (id) => request('GET', '/drafts/' + encodeURIComponent(id)),
	// viewing never claims: the page claims on the first edit
	claim: (id, takeOver = false) => request('POST', '/drafts/' + encodeURIComponent(id) + '/claim',
		takeOver ? {body: {take_over: true}} : {}),
	heartbeat: (id) => request('POST', '/drafts/' + encodeURIComponent(id) + '/heartbeat'),
	// keepalive: the release still goes out while the page is being left
	release: (id, keepalive = false) =>
		request('POST', '/drafts/' + encodeURIComponent(id) + '/release', {keepalive}),
	undo: (id) => request('POST', '/drafts/' + encodeURIComponent(id) + '/undo'),
	patch: (id, version, body) =>
		request('PATCH', '/drafts/' + encodeURIComponent(id),
			{body, headers: {'If-Match': '"' + version + '"'}}),
	approve: (id, body, key) =>
		request('POST', '/drafts/' + encodeURIComponent(id) + '/approve',
			{body, headers: {'Idempotency-Key': key}}),
	reject: (id, body) => request('POST', '/drafts/' + encodeURIComponent(id) + '/reject', {body}),
	delivered: (id) => request('POST', '/drafts/' + encodeURIComponent(id) + '/delivered'),
	resend: (id) => request('POST', '/drafts/' + encodeURIComponent(id) + '/resend'),
	retry: (id) => request('POST', '/drafts/' + encodeURIComponent(id) + '/retry'),
	messages: (q) => request('GET', '/messages', {query: q}),
	message: (id) => request('GET', '/messages/' + encodeURIComponent(id)),
	// version: the live draft's version the reviewer saw and agreed to
	// replace (If-Match); without it saved edits answer 409 draft_edited
	redraft: (messageId, version) =>
		request('POST', '/messages/' + encodeURIComponent(messageId) + '/draft',
			version ? {headers: {'If-Match': '"' + version + '"'}} : {}),
	reply: (messageId, body, key) =>
		request('POST', '/messages/' + encodeURIComponent(messageId) + '/reply',
			{body, headers: {'Idempotency-Key': key}}),
	close: (messageId, reason) =>
		request('POST', '/messages/' + encodeURIComponent(messageId) + '/close', {body: {reason}}),
	reopen: (messageId) => request('POST', '/messages/' + encodeURIComponent(messageId) + '/reopen'),
	backlog: () => request('GET', '/backlog'),
	categories: () => request('GET', '/categories'),
	putCategory: (name, body) =>
		request('PUT', '/categories/' + encodeURIComponent(name), {body}),
	stats: (q) => request('GET', '/stats', {query: q}),
	samples: (q) => request('GET', '/samples', {query: q}),
	judgeSample: (id, body) => request('POST', '/samples/' + encodeURIComponent(id), {body}),
	autoSwitch: () => request('GET', '/auto'),
	setAuto: (enabled) => request('POST', '/auto', {body: {enabled}}),
	mailboxes: () => request('GET', '/mailboxes'),
	audit: (q) => request('GET', '/audit', {query: q}),
	// issue 16: the conversation, notes, assignment, snippets, search
	thread: (messageId) => request('GET', '/messages/' + encodeURIComponent(messageId) + '/thread'),
	notes: (messageId) => request('GET', '/messages/' + encodeURIComponent(messageId) + '/notes'),
	addNote: (messageId, body) =>
		request('POST', '/messages/' + encodeURIComponent(messageId) + '/notes', {body: {body}}),
	// expect: who must have it now ('' nobody), so two takers cannot both win
	assign: (messageId, to, expect) =>
		request('POST', '/messages/' + encodeURIComponent(messageId) + '/assign',
			{body: expect === undefined ? {to} : {to, expect}}),
	assignees: () => request('GET', '/assignees'),
	snippets: (q) => request('GET', '/snippets', {query: q}),
	createSnippet: (body) => request('POST', '/snippets', {body}),
	updateSnippet: (id, body) => request('PUT', '/snippets/' + encodeURIComponent(id), {body}),
	deleteSnippet: (id) => request('DELETE', '/snippets/' + encodeURIComponent(id)),
	fillSnippet: (draftId, snippetId) => request('GET', '/drafts/' + encodeURIComponent(draftId) +
		'/snippets/' + encodeURIComponent(snippetId)),
	search: (q) => request('GET', '/search', {query: q}),
};

// A random key for one approve attempt (retries of the same click reuse it).
export function idempotencyKey() {
	const b = new Uint8Array(16);
	crypto.getRandomValues(b);
	return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
