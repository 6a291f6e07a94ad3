// SPDX-License-Identifier: MIT
// Sending can be undone (issue 11, item 7): an approved reply waits
// [review] send_delay and the page shows "Sending in N s, Undo". Undo from
// the tray, with the z key and from the draft view: the draft is pending
// again with the edit kept, and nothing reaches the SMTP sink.
//   DRAFTD_URL REVIEWER_TOKEN SMTP_MAILDIR SCREENSHOT_DIR
import {join} from 'node:path';
import {apiClient, browser, check, failed, login, marker, notOk, pendingDraft, sinkMessages,
	waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asReviewer = apiClient(base, process.env.REVIEWER_TOKEN);
const draft = async (id) => (await asReviewer('GET', '/drafts/' + id)).data || {};
// The approval reached the server. Without this an undo check could pass on
// the draft's state from before the approval: under load (ci13, two full runs
// at once) an approval still on its way was not undone and was sent later.
const approvedSeen = (id) => waitFor(async () => (await draft(id)).status === 'approved', 30000);

const b = await browser();
const page = await b.ctx.newPage();

async function openAndEdit(d, text) {
	await page.goto(base + '#/draft/' + d.id);
	await page.waitForSelector('#d-body');
	await page.waitForFunction(() => /version/.test(document.querySelector('.draft-status').textContent));
	const body = await page.inputValue('#d-body');
	await page.fill('#d-body', body + '\n' + text + '\n');
}

try {
	await login(page, base, process.env.REVIEWER_TOKEN);
	const me = ((await asReviewer('GET', '/me')).data || {});
	const delay = (me.review || {}).send_delay_seconds;
	check('the server has a send delay for the page to count down', delay > 0, JSON.stringify(me.review));
	const marks = [];

	// --- the tray's Undo, right after Approve & send
	const one = await pendingDraft(asReviewer, 'hoffmann-maschinenbau', 'stock_inquiry');
	if (!one) throw new Error('no pending stock_inquiry draft from hoffmann-maschinenbau');
	const m1 = marker('undone-tray');
	marks.push(m1);
	await openAndEdit(one, m1);
	await page.click('#b-approve');
	check('the approval is recorded', await approvedSeen(one.id), (await draft(one.id)).status);
	const item = '#sending .send-item[data-draft="' + one.id + '"]';
	await page.waitForSelector(item, {timeout: 10000}).catch(() => {});
	const trayText = (await page.isVisible(item)) ? await page.textContent(item) : '';
	check('after approving, the page shows "sending in N s" with Undo', /sending in \d+ s/i.test(trayText) &&
		/Undo/.test(trayText), trayText);
	await page.screenshot({path: join(shots, 'undo.png')});
	if (await page.isVisible(item)) await page.click(item + ' button.undo');
	const back = await waitFor(async () => {
		const d = await draft(one.id);
		return ['pending', 'claimed'].includes(d.status) ? d : null;
	}, 10000);
	check('Undo puts the draft back to pending', !!back, (await draft(one.id)).status);
	check('... with the edit kept', back && (back.body || '').includes(m1), back && back.body.slice(-80));
	check('... and opens it', await waitFor(() => page.url().endsWith('#/draft/' + one.id), 10000), page.url());

	// --- the z key undoes the last approval
	const two = await pendingDraft(asReviewer, 'hoffmann-maschinenbau', 'order_status');
	if (!two) throw new Error('no pending order_status draft from hoffmann-maschinenbau');
	const m2 = marker('undone-z');
	marks.push(m2);
	await openAndEdit(two, m2);
	await page.click('#b-save');
	await page.waitForFunction(() => /version 2\b/.test(document.querySelector('.draft-status').textContent));
	await page.evaluate(() => document.activeElement && document.activeElement.blur());
	await page.keyboard.press('a');
	await page.waitForSelector('#confirm[open]');
	await page.click('#confirm-ok');
	check('the a key\'s approval is recorded', await approvedSeen(two.id), (await draft(two.id)).status);
	await page.waitForSelector('#sending .send-item[data-draft="' + two.id + '"]', {timeout: 10000}).catch(() => {});
	await page.keyboard.press('z');
	check('z undoes the last approval', await waitFor(async () =>
		['pending', 'claimed'].includes((await draft(two.id)).status), 10000), (await draft(two.id)).status);

	// --- Undo from the draft view of an approved draft
	const three = await pendingDraft(asReviewer, 'freemail');
	if (!three) throw new Error('no pending draft from freemail');
	const m3 = marker('undone-view');
	marks.push(m3);
	await openAndEdit(three, m3);
	await page.click('#b-approve');
	check('the draft view\'s approval is recorded', await approvedSeen(three.id), (await draft(three.id)).status);
	await page.waitForURL(/#\/queue/, {timeout: 10000}).catch(() => {});
	await page.goto(base + '#/draft/' + three.id);
	// wait for the words themselves, not for the Undo button: once, under two
	// full test runs' load, the banner read empty after waiting for the button
	// (cause not found; a failure now prints what the page showed)
	await page.waitForFunction(() => /Sending in \d+ s/.test(
		(document.querySelector('#outbox-words') || {}).textContent || ''), null, {timeout: 10000}).catch(() => {});
	const words = (await page.isVisible('#outbox-words')) ? await page.textContent('#outbox-words') : '';
	const undoShown = await page.isVisible('#b-undo');
	check('an approved draft\'s page says when it is sent', /Sending in \d+ s/.test(words),
		JSON.stringify({words, undoShown, url: page.url()}));
	if (await page.isVisible('#b-undo')) await page.click('#b-undo');
	check('Undo sending on the draft page puts it back', await waitFor(async () =>
		['pending', 'claimed'].includes((await draft(three.id)).status), 10000), (await draft(three.id)).status);

	// nothing undone may ever reach the sink: wait out the delay and more
	await page.waitForTimeout(1000 * (delay || 10) + 5000);
	const leaked = marks.filter((m) => sinkMessages(process.env.SMTP_MAILDIR, m).length);
	check('undone replies never reach the SMTP sink', leaked.length === 0, leaked.join(' '));
	check('the page raised no script error', b.errors.length === 0, b.errors.join(' | '));
} catch (e) {
	notOk('undo flow', e.stack || e.message);
	await page.screenshot({path: join(shots, 'failure-undo.png'), fullPage: true}).catch(() => {});
} finally {
	await b.close();
}
process.exit(failed() ? 1 : 0);
