// SPDX-License-Identifier: MIT
// The draft page of a reply whose SMTP outcome was ambiguous (outbox state
// uncertain): it says "may have been delivered; send again?" with the
// reason, and "It was delivered" records the answer (the reply becomes sent).
// tests/integration/smtp_uncertain.sh sets it up.
//   DRAFTD_URL REVIEWER_TOKEN DRAFT_ID SCREENSHOT_DIR
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {apiClient, browser, check, failed, foreignRequests, login, notOk, waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const id = process.env.DRAFT_ID;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asReviewer = apiClient(base, process.env.REVIEWER_TOKEN);
mkdirSync(shots, {recursive: true});

const b = await browser();
try {
	const page = await b.ctx.newPage();
	await login(page, base, process.env.REVIEWER_TOKEN);
	await page.goto(base + '#/draft/' + id);
	const panel = await page.waitForSelector('#delivery-uncertain', {timeout: 15000}).catch(() => null);
	const text = panel ? await panel.innerText() : '';
	check('the page says the reply may have been delivered and offers to send it again',
		/may have been delivered; send again\?/.test(text), text);
	check('the page gives the reason', /may have been delivered/.test(text.split('\n').slice(1).join(' ')),
		text);
	await page.screenshot({path: join(shots, 'delivery-uncertain.png'), fullPage: false});
	if (panel) await page.click('#b-delivered');
	const gone = await waitFor(async () => (await page.locator('#delivery-uncertain').count()) === 0);
	check('"It was delivered" records the answer and the panel goes', gone);
	const d = (await asReviewer('GET', '/drafts/' + id)).data || {};
	check('the reply is sent now', d.status === 'sent' && d.outbox && d.outbox.state === 'sent',
		JSON.stringify({status: d.status, outbox: d.outbox}));
	check('the page asked nothing of any other host', foreignRequests(b, base).length === 0,
		foreignRequests(b, base).join(' '));
	check('no script errors on the page', b.errors.length === 0, b.errors.join('; '));
} catch (e) {
	notOk('the delivery page', e.stack || e.message);
} finally {
	await b.close();
}
process.exit(failed() > 0 ? 1 : 0);
