// SPDX-License-Identifier: MIT
// Signing in to the reviewer page as a person (issue 16) in Chromium:
// the password form (wrong password told, cookie HttpOnly so the page's
// script cannot read it), a reviewer kept out of the admin page, a
// cross-site form post with the reviewer's cookie refused by the CSRF check,
// the admin's people page (add a person, who then signs in), sign-out, and
// single sign-on through the real OpenID provider's login page.
//   env: DRAFTD_URL, REVIEWER_LOGIN/REVIEWER_PASSWORD, ADMIN_LOGIN/ADMIN_PASSWORD,
//        OIDC_USER/OIDC_PASSWORD (optional), SCREENSHOT_DIR
import {join} from 'node:path';
import {browser, check, failed, loginPassword, notOk, ok} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || '.';
const b = await browser();
const page = await b.ctx.newPage();
try {
	// --- the form: a wrong password first
	await page.goto(base);
	await page.waitForSelector('#login:not([hidden])');
	await page.screenshot({path: join(shots, 'signin.png'), fullPage: true});
	await page.fill('#login-name', process.env.REVIEWER_LOGIN);
	await page.fill('#login-password', 'not the password at all');
	await page.click('#login-submit');
	await page.waitForSelector('#login-error:not([hidden])');
	check('a wrong password is told on the form', /wrong login or password/i.test(await page.textContent('#login-error')),
		await page.textContent('#login-error'));
	check('the password field is emptied after a failure', (await page.inputValue('#login-password')) === '');

	await loginPassword(page, base, process.env.REVIEWER_LOGIN, process.env.REVIEWER_PASSWORD);
	check('the reviewer signs in with the form', (await page.textContent('#who-role')) === 'reviewer');
	check('the reviewer\'s display name is shown', (await page.textContent('#who-name')) === 'Rita Review',
		await page.textContent('#who-name'));
	const docCookie = await page.evaluate(() => document.cookie);
	check('the session cookie is out of the page script\'s reach (HttpOnly)', !docCookie.includes('draftd_session'),
		docCookie);
	const cookies = await b.ctx.cookies(base);
	const sc = cookies.find((c) => c.name === 'draftd_session');
	check('the browser holds the cookie as HttpOnly, SameSite=Strict', sc && sc.httpOnly && sc.sameSite === 'Strict',
		JSON.stringify(sc));
	check('no token in sessionStorage for a person', (await page.evaluate(() => sessionStorage.length)) === 0);
	await page.waitForSelector('#queue, .view-queue', {timeout: 10000});
	// the page works with the cookie and the CSRF token: a state-changing call from the page
	const released = await page.evaluate(async () => {
		const me = await (await fetch('/api/v1/me')).json();
		const r = await fetch('/api/v1/drafts/999999/release', {method: 'POST',
			headers: {'X-CSRF-Token': me.csrf_token}});
		const r2 = await fetch('/api/v1/drafts/999999/release', {method: 'POST'});
		return [r.status, r2.status];
	});
	check('from the page, a POST with the CSRF token passes the check (404: no such draft)', released[0] === 404,
		released[0]);
	check('the same POST without the token is refused (403)', released[1] === 403, released[1]);

	// --- a reviewer cannot reach the admin page
	check('no People link for a reviewer', !(await page.isVisible('#nav a[data-view=people]')));
	await page.goto(base + '#/people');
	await page.waitForSelector('#people-forbidden');
	check('#/people tells a reviewer it is for admins', /only admins/i.test(await page.textContent('#people-forbidden')));
	const st = await page.evaluate(async () => (await fetch('/api/v1/people')).status);
	check('GET /people with the reviewer\'s cookie: 403', st === 403, st);

	// --- CSRF: a page on another origin posts a form with the reviewer's cookie
	const evil = 'http://127.0.0.1:9/evil.html'; // same site (127.0.0.1), another origin
	const target = new URL('/api/v1/messages/1/close', base).href;
	const evilPage = await b.ctx.newPage();
	await evilPage.route(evil, (route) => route.fulfill({status: 200, contentType: 'text/html',
		body: '<!doctype html><form id=f method=POST action="' + target + '">' +
			'<input name=reason value=spam></form><script>document.getElementById("f").submit()</script>'}));
	const answer = evilPage.waitForResponse((r) => r.url() === target, {timeout: 10000});
	await evilPage.goto(evil);
	const resp = await answer;
	const body = await resp.text();
	check('a cross-site form post with the cookie is refused (403)', resp.status() === 403, resp.status() + ' ' + body);
	check('... by the origin or CSRF check', /cross_site|csrf/.test(body), body.slice(0, 200));
	await evilPage.close();

	// --- sign-out
	await page.goto(base + '#/queue');
	await page.waitForSelector('#who:not([hidden])');
	await page.click('#logout');
	await page.waitForSelector('#login:not([hidden])');
	const after = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
	check('after signing out the session is gone (GET /me 401)', after === 401, after);

	// --- the admin's people page
	await loginPassword(page, base, process.env.ADMIN_LOGIN, process.env.ADMIN_PASSWORD);
	check('the People link is there for an admin', await page.isVisible('#nav a[data-view=people]'));
	await page.click('#nav a[data-view=people]');
	await page.waitForSelector('table.people');
	await page.fill('#person-login', 'paula');
	await page.fill('#person-name', 'Paula Proof');
	await page.selectOption('#person-role', 'reviewer');
	await page.fill('#person-password', 'paula long password');
	await page.click('#person-add button[type=submit]');
	await page.waitForSelector('tr[data-login=paula]');
	ok('an admin adds paula on the People page');
	await page.screenshot({path: join(shots, 'people.png'), fullPage: true});
	await page.click('#logout');
	await page.waitForSelector('#login:not([hidden])');
	await loginPassword(page, base, 'paula', 'paula long password');
	check('paula signs in with the password the admin set', (await page.textContent('#who-name')) === 'Paula Proof');
	await page.click('#logout');
	await page.waitForSelector('#login:not([hidden])');

	// --- single sign-on through the provider's login page
	if (process.env.OIDC_USER) {
		await page.goto(base);
		await page.waitForSelector('#sso-box:not([hidden])');
		await page.click('#sso');
		await page.waitForSelector('#username', {timeout: 15000});
		await page.fill('#username', process.env.OIDC_USER);
		await page.fill('#password', process.env.OIDC_PASSWORD);
		await page.click('#loginbut');
		await page.getByRole('button', {name: 'Continue'}).click({timeout: 15000});
		await page.waitForSelector('#who:not([hidden])', {timeout: 15000});
		check('single sign-on through the provider lands signed in on the page',
			(await page.textContent('#who-role')) === 'reviewer', await page.textContent('#who-role'));
		check('the page address is clean after the callback', new URL(page.url()).search === '', page.url());
		await page.screenshot({path: join(shots, 'signin-sso.png'), fullPage: true});
		await page.click('#logout');
		await page.waitForSelector('#login:not([hidden])');
		await page.goto(base + '?signin_error=no_role');
		await page.waitForSelector('#login-error:not([hidden])');
		check('a refused single sign-on is explained on the page',
			/no draftd role/.test(await page.textContent('#login-error')));
	}
	check('no script errors', b.errors.length === 0, b.errors.join('; '));
} catch (e) {
	notOk('sign-in in the browser', e.stack || e.message);
	await page.screenshot({path: join(shots, 'signin-failure.png'), fullPage: true}).catch(() => {});
} finally {
	await b.close();
}
process.exit(failed() ? 1 : 0);
