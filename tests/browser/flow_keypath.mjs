// SPDX-License-Identifier: MIT
// Read, fix, approve, next without the mouse (issue 16 item 6): in the
// queue the keyboard alone searches for one customer (/), opens the draft
// (Enter), puts the cursor in the text (e), fixes it, asks "Approve & next"
// (Ctrl+Enter in the editor), answers it (y), lands on the next open draft
// and goes back to the queue (Esc). The draft is sent with the fix.
//   DRAFTD_URL REVIEWER_TOKEN SCREENSHOT_DIR
import {join} from 'node:path';
import {apiClient, browser, check, failed, login, marker, notOk, waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asReviewer = apiClient(base, process.env.REVIEWER_TOKEN);
const CUSTOMER = 'vanderberg-techniek';

const b = await browser();
const page = await b.ctx.newPage();
let clicks = 0;
try {
	await login(page, base, process.env.REVIEWER_TOKEN);
	const open = ((await asReviewer('GET', '/drafts?status=open&q=' + CUSTOMER + '&limit=10')).data || {}).drafts || [];
	if (open.length < 2) throw new Error('want 2 open drafts from ' + CUSTOMER + ', have ' + open.length);
	await page.waitForSelector('#queue-table tbody tr.selected');
	// from here on: the keyboard only (a click would be counted)
	await page.exposeFunction('__clicked', () => clicks++);
	await page.evaluate(() => document.addEventListener('mousedown', () => window.__clicked(), true));
	await page.evaluate(() => document.activeElement && document.activeElement.blur());
	await page.keyboard.press('/');
	await page.keyboard.type(CUSTOMER);
	await page.waitForFunction((n) => {
		const rows = document.querySelectorAll('#queue-table tbody tr[data-id]');
		return rows.length === n && document.querySelector('#queue-table tbody tr.selected');
	}, open.length, {timeout: 10000});
	await page.keyboard.press('Escape');
	ok1('/ searches the queue for one customer, Esc leaves the search box');
	const first = await page.getAttribute('#queue-table tbody tr.selected', 'data-id');

	await page.keyboard.press('Enter');
	await page.waitForURL((u) => u.hash === '#/draft/' + first, {timeout: 10000});
	await page.waitForSelector('#d-body');
	await page.waitForFunction(() => {
		const st = document.querySelector('.draft-status');
		return !!st && /version/.test(st.textContent);
	});
	ok1('Enter opens the selected draft');
	await page.keyboard.press('e');
	check('e puts the cursor in the text', await page.evaluate(() => document.activeElement.id === 'd-body'));
	const fix = marker('keyfix');
	await page.keyboard.press('Control+End');
	await page.keyboard.type('\nP.S. ' + fix);
	await page.keyboard.press('Control+Enter');
	await page.waitForSelector('#confirm[open]', {timeout: 10000});
	check('Ctrl+Enter in the editor asks "Approve & next"', /next/i.test(await page.textContent('#confirm')));
	await page.screenshot({path: join(shots, 'keypath-ask.png')});
	await page.keyboard.press('y');
	await page.waitForURL((u) => /#\/draft\/\d+$/.test(u.hash) && u.hash !== '#/draft/' + first, {timeout: 15000});
	const sent = await waitFor(async () => {
		const d = (await asReviewer('GET', '/drafts/' + first)).data || {};
		return ['approved', 'sent'].includes(d.status) ? d : null;
	}, 15000);
	check('y approved the draft', !!sent, sent && sent.status);
	check('... with the fix typed in', sent && (sent.final_body || sent.body || '').includes(fix),
		sent && (sent.final_body || sent.body));
	const second = /#\/draft\/(\d+)$/.exec(page.url())[1];
	check('the next open draft is open', open.some((d) => String(d.id) === second), second);
	await page.waitForSelector('#d-body');
	await page.keyboard.press('Escape');
	await page.waitForURL((u) => u.hash.startsWith('#/queue'), {timeout: 10000});
	ok1('Esc goes back to the queue');
	check('no mouse click on the whole path', clicks === 0, clicks + ' clicks');
	check('the page raised no script error', b.errors.length === 0, b.errors.join(' | '));
} catch (e) {
	notOk('keyboard path read, fix, approve, next', e.stack || e.message);
	await page.screenshot({path: join(shots, 'failure-keypath.png'), fullPage: true}).catch(() => {});
} finally {
	await b.close();
}

function ok1(name) {
	check(name, true);
}
process.exit(failed() ? 1 : 0);
