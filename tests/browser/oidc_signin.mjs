// SPDX-License-Identifier: MIT
// A person signs in through the real OpenID provider's login page in
// Chromium (glewlwyd, tests/services/oidc.sh), as the reviewer page will send
// them there: the authorisation request with PKCE S256, state and nonce, the
// provider's login form, its "Continue", and the redirect back with a code,
// which is then exchanged at the token endpoint. Writes the ID token, the
// provider's JWKS and the nonce for draftd's validator (the oidc_live unit
// suite), and a screenshot of the login page.
//   node oidc_signin.mjs USER PASSWORD OUTDIR
// Environment: DRAFTD_TEST_OIDC_ISSUER, _CLIENT_ID, _CLIENT_SECRET_FILE,
// DRAFTD_SCREENSHOTS (optional).
import {createHash, randomBytes} from 'node:crypto';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {browser, check, failed, notOk} from './lib.mjs';

const [user, password, out] = process.argv.slice(2);
const issuer = process.env.DRAFTD_TEST_OIDC_ISSUER;
const clientId = process.env.DRAFTD_TEST_OIDC_CLIENT_ID;
const secret = readFileSync(process.env.DRAFTD_TEST_OIDC_CLIENT_SECRET_FILE, 'utf8').trim();
const redirect = 'http://127.0.0.1/draftd/auth/oidc/callback';
const b64 = (buf) => buf.toString('base64url');

const conf = await (await fetch(issuer + '/.well-known/openid-configuration')).json();
const verifier = b64(randomBytes(48));
const state = b64(randomBytes(32));
const nonce = b64(randomBytes(32));
const query = new URLSearchParams({
	response_type: 'code', client_id: clientId, redirect_uri: redirect, scope: 'openid',
	state, nonce, code_challenge: b64(createHash('sha256').update(verifier).digest()),
	code_challenge_method: 'S256',
});

const b = await browser();
try {
	const page = await b.ctx.newPage();
	let back = null;
	// Nothing listens on the redirect URI: catch the navigation to it.
	await page.route(redirect + '**', (route) => {
		back = new URL(route.request().url());
		route.fulfill({status: 200, contentType: 'text/plain', body: 'back at draftd'});
	});
	await page.goto(conf.authorization_endpoint + '?' + query);
	await page.waitForSelector('#username', {timeout: 10000});
	if (process.env.DRAFTD_SCREENSHOTS)
		await page.screenshot({path: join(process.env.DRAFTD_SCREENSHOTS, 'oidc-login.png')});
	await page.fill('#username', user);
	await page.fill('#password', password);
	await page.click('#loginbut');
	// the provider asks once per sign-in whether to go on to draftd
	await page.getByRole('button', {name: 'Continue'}).click({timeout: 10000});
	for (let i = 0; i < 100 && back === null; i++)
		await page.waitForTimeout(100);
	check(`oidc browser: ${user} signs in on the provider's page and comes back with a code`,
		back !== null && back.searchParams.get('code'), back ? back.search : 'no redirect');
	check(`oidc browser: the state came back unchanged`, back && back.searchParams.get('state') === state);
	if (back && back.searchParams.get('code')) {
		const resp = await fetch(conf.token_endpoint, {
			method: 'POST',
			headers: {
				'Content-Type': 'application/x-www-form-urlencoded',
				Authorization: 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64'),
			},
			body: new URLSearchParams({grant_type: 'authorization_code', code: back.searchParams.get('code'),
				redirect_uri: redirect, code_verifier: verifier}),
		});
		const tokens = await resp.json();
		if (check(`oidc browser: the code and verifier buy an ID token`, resp.status === 200 && tokens.id_token,
			`HTTP ${resp.status}`)) {
			writeFileSync(join(out, 'id_token'), tokens.id_token);
			writeFileSync(join(out, 'nonce'), nonce);
			writeFileSync(join(out, 'jwks.json'), await (await fetch(conf.jwks_uri)).text());
		}
	}
	check('oidc browser: no script errors on the provider\'s pages', b.errors.length === 0, b.errors.join('; '));
} catch (e) {
	notOk('oidc browser: sign-in through the provider', e.message);
} finally {
	await b.close();
}
process.exit(failed() ? 1 : 0);
