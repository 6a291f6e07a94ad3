// SPDX-License-Identifier: MIT
// The kill switch on the Categories page (issue 11, item 9): an admin turns
// automatic replies off and on with a button that asks first; a reviewer
// sees the state but no button. The API's /auto is the truth checked.
//   DRAFTD_URL REVIEWER_TOKEN ADMIN_TOKEN SCREENSHOT_DIR
import {join} from 'node:path';
import {apiClient, browser, check, failed, login, notOk, waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asAdmin = apiClient(base, process.env.ADMIN_TOKEN);
const startedAt = new Date().toISOString();
const autoOn = async () => ((await asAdmin('GET', '/auto')).data || {}).enabled;

const b = await browser();
const page = await b.ctx.newPage();
try {
	// a reviewer sees the switch's state, and no button
	await login(page, base, process.env.REVIEWER_TOKEN);
	await page.goto(base + '#/categories');
	await page.waitForSelector('#auto-switch');
	check('a reviewer sees whether automatic replies are on',
		/automatic replies are on/i.test(await page.textContent('#auto-switch')));
	check('a reviewer gets no kill-switch button', (await page.locator('#auto-toggle').count()) === 0);
	// the classifier's categories exist without any [category] section
	await page.waitForSelector('#categories article.card', {timeout: 10000}).catch(() => {});
	const names = await page.$$eval('#categories article.card', (cs) => cs.map((c) => c.dataset.category));
	check('the built-in categories are listed on a fresh install (no [category] section)',
		['order_status', 'stock_inquiry', 'other', 'complaint'].every((n) => names.includes(n)), names.join(' '));
	await page.click('#logout');

	await login(page, base, process.env.ADMIN_TOKEN);
	await page.goto(base + '#/categories');
	await page.waitForSelector('#auto-switch');
	const button = page.locator('#auto-toggle');
	check('an admin gets the kill-switch button', (await button.count()) === 1);
	if ((await button.count()) === 1) {
		check('the button says what it does', /off/i.test(await button.textContent()),
			await button.textContent());
		await button.click();
		await page.waitForSelector('#confirm[open]', {timeout: 10000});
		await page.click('#confirm-cancel');
		await page.waitForTimeout(500);
		check('Cancel leaves automatic replies on', (await autoOn()) === true);
		await button.click();
		await page.waitForSelector('#confirm[open]', {timeout: 10000});
		check('the question says what switching off does',
			/every category/i.test(await page.textContent('#confirm')), await page.textContent('#confirm'));
		await page.click('#confirm-ok');
		check('the button switches automatic replies off (GET /auto)',
			await waitFor(async () => (await autoOn()) === false, 10000));
		await page.waitForFunction(() => /OFF/.test(document.querySelector('#auto-switch').textContent),
			null, {timeout: 10000}).catch(() => {});
		check('the page says they are off', /OFF/.test(await page.textContent('#auto-switch')),
			await page.textContent('#auto-switch'));
		await page.screenshot({path: join(shots, 'kill-switch-off.png')});
		await page.click('#auto-toggle');
		await page.waitForSelector('#confirm[open]', {timeout: 10000});
		await page.click('#confirm-ok');
		check('the button switches them on again', await waitFor(async () => (await autoOn()) === true, 10000));
		// never-automatic categories: the page does not offer auto, the API refuses it
		const other = await page.$eval('#mode-other option[value="auto"]', (o) => o.disabled).catch(() => null);
		check('a never-automatic category (other) does not offer auto', other === true, String(other));
		check('... and its card says so', /never automatic/.test(await page.textContent(
			'#categories article.card[data-category="other"]').catch(() => '')));
		const put = await asAdmin('PUT', '/categories/other', {mode: 'auto'});
		check('PUT auto for it is refused with 409 never_auto', put.status === 409 &&
			((put.data || {}).error || {}).code === 'never_auto', JSON.stringify(put));
		await page.screenshot({path: join(shots, 'categories-never-auto.png'), fullPage: true});
		const audit = JSON.stringify((await asAdmin('GET', '/audit?limit=1000&since=' +
			encodeURIComponent(startedAt))).data || {});
		check('both switches are in the audit log', audit.includes('auto.off') && audit.includes('auto.on'));
	}
	check('the page raised no script error', b.errors.length === 0, b.errors.join(' | '));
} catch (e) {
	notOk('kill switch flow', e.stack || e.message);
	await page.screenshot({path: join(shots, 'failure-admin.png'), fullPage: true}).catch(() => {});
} finally {
	if ((await autoOn()) === false) await asAdmin('POST', '/auto', {enabled: true});
	await b.close();
}
process.exit(failed() ? 1 : 0);
