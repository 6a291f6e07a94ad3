// SPDX-License-Identifier: MIT
// Shared pieces of the browser tests: Debian's chromium driven by
// playwright-core, TAP-style "ok - ..." lines for tests/run.sh, a request
// log that proves nothing leaves for another host, and the draftd REST API
// from Node (to set up and check what the page did).
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {chromium} from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let failures = 0;
export function ok(name) {
	console.log('ok - ' + name);
}
export function notOk(name, why) {
	failures++;
	console.log('not ok - ' + name + (why ? ': ' + String(why).replace(/\s+/g, ' ').slice(0, 400) : ''));
}
export function check(name, cond, why) {
	if (cond) ok(name);
	else notOk(name, why);
	return !!cond;
}
export function failed() {
	return failures;
}

// A fresh profile per browser (--user-data-dir), removed on close. Every
// request of every page is recorded in `requests`; dialogs are counted and
// dismissed.
export async function browser() {
	const dir = mkdtempSync(join(tmpdir(), 'draftd-chromium-'));
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: CHROMIUM, args: ARGS, headless: true,
		viewport: {width: 1440, height: 900}, serviceWorkers: 'block',
	});
	const b = {ctx, requests: [], dialogs: [], errors: [],
		async close() {
			await ctx.close().catch(() => {});
			rmSync(dir, {recursive: true, force: true});
		}};
	const watch = (page) => {
		page.on('request', (r) => b.requests.push(r.url()));
		page.on('dialog', (d) => {
			b.dialogs.push(d.message());
			d.dismiss().catch(() => {});
		});
		page.on('pageerror', (e) => b.errors.push(e.message));
	};
	ctx.pages().forEach(watch);
	ctx.on('page', watch);
	return b;
}

// Requests that went anywhere but base's origin (data: and about: aside).
export function foreignRequests(b, base) {
	const origin = new URL(base).origin;
	return b.requests.filter((u) => !u.startsWith(origin + '/') && u !== origin &&
		!u.startsWith('data:') && !u.startsWith('about:'));
}

// The quick way in for tests: an API token under "Use an API token instead".
export async function login(page, base, token) {
	await page.goto(base);
	await page.waitForSelector('#login:not([hidden])', {timeout: 15000});
	await page.evaluate(() => (document.querySelector('#token-box').open = true));
	await page.fill('#token', token);
	await page.click('#token-form button[type=submit]');
	await page.waitForSelector('#who:not([hidden])', {timeout: 15000});
}

// A person's way in: the sign-in form with a login and a password.
export async function loginPassword(page, base, login, password) {
	await page.goto(base);
	await page.waitForSelector('#login:not([hidden])', {timeout: 15000});
	await page.fill('#login-name', login);
	await page.fill('#login-password', password);
	await page.click('#login-submit');
	await page.waitForSelector('#who:not([hidden])', {timeout: 15000});
}

export function apiClient(base, token) {
	return async function call(method, path, body, headers = {}) {
		const r = await fetch(new URL('/api/v1' + path, base), {method,
			headers: {Authorization: 'Bearer ' + token, 'Content-Type': 'application/json', ...headers},
			body: body === undefined ? undefined : JSON.stringify(body)});
		let data = null;
		try {
			data = await r.json();
		} catch (e) {
			data = null;
		}
		return {status: r.status, data};
	};
}

export async function waitFor(fn, ms = 20000, step = 250) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() > end) return v;
		await new Promise((r) => setTimeout(r, step));
	}
}

// A sent message with its quoted-printable undone (soft line breaks
// joined, =XX bytes decoded as UTF-8), so typed text can be searched.
export function unQP(raw) {
	const joined = raw.replace(/=\r?\n/g, '');
	return Buffer.from(joined.replace(/=([0-9A-F]{2})/g, (m, x) => String.fromCharCode(parseInt(x, 16))),
		'latin1').toString('utf8');
}

// The SMTP sink's messages (maildir new/), decoded, whose text includes needle.
export function sinkMessages(maildir, needle) {
	const dir = join(maildir || '/nonexistent', 'new');
	try {
		return readdirSync(dir).map((f) => unQP(readFileSync(join(dir, f), 'utf8')))
			.filter((m) => m.includes(needle));
	} catch (e) {
		return [];
	}
}

// The first pending draft whose sender includes `sender` (and of `category`
// when given), from the API; null when there is none.
export async function pendingDraft(call, sender, category) {
	const r = await call('GET', '/drafts?limit=200&status=open');
	const list = (r.data && r.data.drafts) || [];
	return list.find((d) => (d.sender || '').includes(sender) &&
		(!category || d.category === category)) || null;
}

// A unique marker for text a test types (found again in the sink).
export function marker(what) {
	return what + '-' + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
}
