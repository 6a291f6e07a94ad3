// SPDX-License-Identifier: MIT
// Regenerate never silently replaces a reviewer's edits (issue 11, item 3):
// with unsaved edits it asks first and names them, Cancel keeps them; with
// saved edits it names those; OK supersedes the draft (kept for the
// record, refused on approve) and the page opens the new draft.
//   DRAFTD_URL REVIEWER_TOKEN SCREENSHOT_DIR
import {join} from 'node:path';
import {apiClient, browser, check, failed, login, marker, notOk, pendingDraft, waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asReviewer = apiClient(base, process.env.REVIEWER_TOKEN);
const draft = async (id) => (await asReviewer('GET', '/drafts/' + id)).data || {};

const b = await browser();
const page = await b.ctx.newPage();
try {
	await login(page, base, process.env.REVIEWER_TOKEN);
	const x = await pendingDraft(asReviewer, 'lindqvist-marine', 'order_status');
	if (!x) throw new Error('no pending order_status draft from lindqvist-marine');
	await page.goto(base + '#/draft/' + x.id);
	await page.waitForSelector('#d-body');
	await page.waitForFunction(() => /version/.test(document.querySelector('.draft-status').textContent));
	const text = marker('kept-edit');
	await page.fill('#d-body', (await page.inputValue('#d-body')) + '\n' + text + '\n');

	await page.click('#b-regen');
	await page.waitForSelector('#confirm[open]');
	check('Regenerate with unsaved edits asks first and names them',
		await page.isVisible('#confirm #regen-unsaved'), await page.textContent('#confirm'));
	await page.click('#confirm-cancel');
	await page.waitForTimeout(500);
	check('Cancel keeps the edits in the editor', (await page.inputValue('#d-body')).includes(text));
	check('... and the draft live', ['pending', 'claimed'].includes((await draft(x.id)).status));

	await page.click('#b-save');
	await page.waitForFunction(() => /version 2\b/.test(document.querySelector('.draft-status').textContent));
	await page.click('#b-regen');
	await page.waitForSelector('#confirm[open]');
	check('with saved edits it names those', await page.isVisible('#confirm #regen-saved'),
		await page.textContent('#confirm'));
	await page.click('#confirm-ok');
	const old = await waitFor(async () => {
		const d = await draft(x.id);
		return d.status === 'superseded' ? d : null;
	}, 10000);
	check('OK supersedes the draft (kept for the record)', !!old && (old.body || '').includes(text),
		(await draft(x.id)).status);
	const approveOld = await asReviewer('POST', '/drafts/' + x.id + '/approve', {}, {'Idempotency-Key': marker('k')});
	check('approving the superseded draft is refused with 409 naming the live draft',
		approveOld.status === 409 && ((approveOld.data || {}).error || {}).code === 'superseded',
		JSON.stringify(approveOld));
	await page.waitForURL((u) => /#\/draft\/\d+$/.test(u.hash) && !u.hash.endsWith('/' + x.id),
		{timeout: 30000}).catch(() => {});
	const m = /#\/draft\/(\d+)$/.exec(page.url());
	check('the page opens the new draft when it is ready', m && m[1] !== String(x.id) &&
		['pending', 'claimed'].includes((await draft(m[1])).status), page.url());
	await page.goto(base + '#/draft/' + x.id);
	await page.waitForSelector('#superseded', {timeout: 10000}).catch(() => {});
	check('the old draft\'s page says it was replaced and links the new one',
		(await page.isVisible('#superseded')) && (await page.locator('#live-draft').count()) === 1);
	check('... and cannot be edited', await page.$eval('#d-body', (el) => el.readOnly));
	await page.screenshot({path: join(shots, 'superseded.png')});
	check('the page raised no script error', b.errors.length === 0, b.errors.join(' | '));
} catch (e) {
	notOk('regenerate flow', e.stack || e.message);
	await page.screenshot({path: join(shots, 'failure-regenerate.png'), fullPage: true}).catch(() => {});
} finally {
	await b.close();
}
process.exit(failed() ? 1 : 0);
