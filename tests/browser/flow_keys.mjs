// SPDX-License-Identifier: MIT
// The approve keys (issue 11, item 7): `a` asks before sending, in the queue
// and in the draft view alike; Cancel sends nothing; "Approve & next" sends
// and opens the next open draft; Shift+A does the same from the keyboard,
// also asking first.
//   DRAFTD_URL REVIEWER_TOKEN SCREENSHOT_DIR
import {join} from 'node:path';
import {apiClient, browser, check, failed, login, notOk, pendingDraft, waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asReviewer = apiClient(base, process.env.REVIEWER_TOKEN);
const statusOf = async (id) => ((await asReviewer('GET', '/drafts/' + id)).data || {}).status;
const decided = (s) => !['pending', 'claimed'].includes(s);

const b = await browser();
const page = await b.ctx.newPage();
const dialogOpen = () => page.locator('#confirm[open]').isVisible();

async function openDraft(d) {
	await page.goto(base + '#/draft/' + d.id);
	await page.waitForSelector('#d-body');
	await page.waitForFunction(() => /version/.test(document.querySelector('.draft-status').textContent));
	await page.evaluate(() => document.activeElement && document.activeElement.blur());
}

try {
	await login(page, base, process.env.REVIEWER_TOKEN);

	// --- the queue: `a` asks, Cancel sends nothing
	await page.waitForSelector('#queue-table tbody tr.selected');
	const sel = await page.getAttribute('#queue-table tbody tr.selected', 'data-id');
	await page.keyboard.press('a');
	await page.waitForSelector('#confirm[open]', {timeout: 10000}).catch(() => {});
	check('in the queue, a asks before sending', await dialogOpen());
	await page.click('#confirm-cancel');
	await page.waitForTimeout(500);
	check('in the queue, Cancel sends nothing', !decided(await statusOf(sel)), await statusOf(sel));

	// --- the draft view: `a` asks too, Cancel sends nothing, OK sends
	const one = await pendingDraft(asReviewer, 'baltic-crane');
	if (!one) throw new Error('no pending draft from baltic-crane');
	await openDraft(one);
	await page.keyboard.press('a');
	await page.waitForSelector('#confirm[open]', {timeout: 10000}).catch(() => {});
	const asked = await dialogOpen();
	check('in the draft view, a asks before sending (as in the queue)', asked);
	if (asked) {
		const text = await page.textContent('#confirm');
		check('the question names the draft and the recipient', text.includes('#' + one.id) &&
			text.includes('baltic-crane'), text.slice(0, 200));
		await page.screenshot({path: join(shots, 'approve-ask.png')});
		await page.click('#confirm-cancel');
	}
	await page.waitForTimeout(500);
	check('in the draft view, Cancel sends nothing', !decided(await statusOf(one.id)), await statusOf(one.id));
	check('the draft view stays open after Cancel', page.url().includes('#/draft/' + one.id), page.url());
	await page.keyboard.press('a');
	await page.waitForSelector('#confirm[open]', {timeout: 10000}).catch(() => {});
	if (await dialogOpen()) await page.click('#confirm-ok');
	const approved = await waitFor(async () => decided(await statusOf(one.id)), 10000);
	check('a then OK approves the draft', approved, await statusOf(one.id));

	// --- Approve & next: sends and opens the next open draft
	const two = await pendingDraft(asReviewer, 'brennan-plant');
	if (!two) throw new Error('no pending draft from brennan-plant');
	await openDraft(two);
	const nextButton = await page.locator('#b-approve-next').count();
	check('the draft view has an "Approve & next" button', nextButton === 1);
	if (nextButton) {
		await page.click('#b-approve-next');
		await page.waitForURL((u) => /#\/draft\/\d+$/.test(u.hash) && !u.hash.endsWith('/' + two.id),
			{timeout: 15000}).catch(() => {});
		const m = /#\/draft\/(\d+)$/.exec(page.url());
		check('Approve & next approves the draft', decided(await statusOf(two.id)), await statusOf(two.id));
		check('Approve & next opens another open draft', m && m[1] !== String(two.id) &&
			!decided(await statusOf(m[1])), page.url());
	}

	// --- Shift+A: asks, then approves and opens the next one
	const three = await pendingDraft(asReviewer, 'ateliers-moreau');
	if (!three) throw new Error('no pending draft from ateliers-moreau');
	await openDraft(three);
	await page.keyboard.press('Shift+A');
	await page.waitForSelector('#confirm[open]', {timeout: 10000}).catch(() => {});
	check('Shift+A asks before sending', await dialogOpen());
	if (await dialogOpen()) await page.click('#confirm-ok');
	await page.waitForURL((u) => /#\/draft\/\d+$/.test(u.hash) && !u.hash.endsWith('/' + three.id),
		{timeout: 15000}).catch(() => {});
	check('Shift+A approved and opened the next draft', decided(await statusOf(three.id)) &&
		/#\/draft\/\d+$/.test(page.url()) && !page.url().endsWith('/' + three.id), page.url());
	check('the page raised no script error', b.errors.length === 0, b.errors.join(' | '));
} catch (e) {
	notOk('approve keys flow', e.stack || e.message);
	await page.screenshot({path: join(shots, 'failure-keys.png'), fullPage: true}).catch(() => {});
} finally {
	await b.close();
}
process.exit(failed() ? 1 : 0);
