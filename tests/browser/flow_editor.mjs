// SPDX-License-Identifier: MIT
// The editor keeps what was saved (issue 11, item 6): type, save, type more,
// save, approve. After each save the textarea holds the saved text, the
// status line shows the new version, no "someone else saved" banner appears
// (not even after a live refresh), both edits are stored, and the SMTP sink
// carries both.
//   DRAFTD_URL REVIEWER_TOKEN SMTP_MAILDIR SCREENSHOT_DIR
import {join} from 'node:path';
import {apiClient, browser, check, failed, login, marker, notOk, pendingDraft, sinkMessages,
	waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asReviewer = apiClient(base, process.env.REVIEWER_TOKEN);

const b = await browser();
const page = await b.ctx.newPage();
const versionShown = () => page.textContent('.draft-status');
const bannerText = async () => (await page.isVisible('.banner')) ? page.textContent('.banner') : '';

async function saveAndWait(version) {
	await page.click('#b-save');
	await page.waitForFunction((v) => new RegExp('version ' + v + '\\b')
		.test(document.querySelector('.draft-status').textContent), version, {timeout: 8000})
		.catch(() => {});
	// a stale reload that raced the save would land within this moment
	await page.waitForTimeout(700);
}

try {
	await login(page, base, process.env.REVIEWER_TOKEN);
	const target = await pendingDraft(asReviewer, 'lindqvist-marine', 'stock_inquiry');
	if (!target) throw new Error('no pending stock_inquiry draft from lindqvist-marine');
	await page.goto(base + '#/draft/' + target.id);
	await page.waitForSelector('#d-body');
	await page.waitForFunction(() => /version 1\b/.test(document.querySelector('.draft-status').textContent));
	const original = await page.inputValue('#d-body');
	const first = marker('first-edit');
	const second = marker('second-edit');

	await page.fill('#d-body', original + '\n' + first + '\n');
	await saveAndWait(2);
	check('after Save the status line shows version 2', /version 2\b/.test(await versionShown()),
		await versionShown());
	check('after Save the textarea holds the saved text',
		(await page.inputValue('#d-body')) === original + '\n' + first + '\n',
		(await page.inputValue('#d-body')).slice(-80));
	check('your own save raises no "someone else saved" banner',
		!/someone else/i.test(await bannerText()), await bannerText());
	check('no "unsaved changes" mark after Save', !(await page.isVisible('.dirty')));

	// The second save races a live refresh: the refresh's GET is answered
	// from before the save and delivered after it (held by the test), the
	// way a slow network delivers it.
	const draftUrl = new RegExp('/api/v1/drafts/' + target.id + '$');
	let release;
	const saveDone = new Promise((r) => (release = r));
	let staleFetched;
	const gotStale = new Promise((r) => (staleFetched = r));
	await page.route(draftUrl, async (route) => {
		if (route.request().method() !== 'GET') return route.continue();
		const resp = await route.fetch();
		staleFetched();
		await saveDone;
		await route.fulfill({response: resp});
	}, {times: 1});
	await page.focus('#d-body');
	await page.keyboard.press('Control+End');
	await page.keyboard.type(second + '\n');
	check('typing again marks the editor as unsaved', await page.isVisible('.dirty'));
	await gotStale; // the page's refresh (every 10 s) asked for the draft
	const patched = page.waitForResponse((r) => draftUrl.test(r.url()) &&
		r.request().method() === 'PATCH', {timeout: 10000});
	await page.click('#b-save');
	await patched;
	release();
	await page.waitForFunction(() => /version 3\b/.test(document.querySelector('.draft-status').textContent),
		null, {timeout: 8000}).catch(() => {});
	await page.waitForTimeout(700); // the held refresh answer lands now
	const both = original + '\n' + first + '\n' + second + '\n';
	check('after the second Save the status line shows version 3', /version 3\b/.test(await versionShown()),
		await versionShown());
	check('after the second Save the textarea holds both edits, although a refresh from before the ' +
		'save answered after it', (await page.inputValue('#d-body')) === both,
		(await page.inputValue('#d-body')).slice(-120));
	check('the late refresh raised no "someone else saved" banner', !/someone else/i.test(await bannerText()),
		await bannerText());
	const stored = (await asReviewer('GET', '/drafts/' + target.id)).data || {};
	check('the stored draft (version 3) carries both edits', stored.version === 3 &&
		(stored.body || '').includes(first) && (stored.body || '').includes(second),
		JSON.stringify({version: stored.version, tail: (stored.body || '').slice(-120)}));

	// an ordinary refresh after the saves changes nothing either
	await page.waitForResponse((r) => draftUrl.test(r.url()) && r.request().method() === 'GET',
		{timeout: 15000});
	await page.waitForTimeout(300);
	check('a live refresh after the saves keeps the text and raises no banner',
		(await page.inputValue('#d-body')) === both && !/someone else/i.test(await bannerText()) &&
		/version 3\b/.test(await versionShown()), (await bannerText()) + ' / ' + (await versionShown()));
	await page.screenshot({path: join(shots, 'editor-saved.png'), fullPage: true});

	// leaving with unsaved edits asks first; Cancel keeps them
	const third = marker('third-edit');
	await page.focus('#d-body');
	await page.keyboard.press('Control+End');
	await page.keyboard.type(third + '\n');
	await page.evaluate(() => document.activeElement && document.activeElement.blur());
	await page.keyboard.press('Escape');
	await page.waitForSelector('#confirm[open]', {timeout: 10000}).catch(() => {});
	check('leaving with unsaved edits asks first', (await page.isVisible('#confirm[open]')) &&
		/not saved/.test(await page.textContent('#confirm')));
	if (await page.isVisible('#confirm[open]')) await page.click('#confirm-cancel');
	await page.waitForTimeout(300);
	check('Cancel stays on the draft with the edits', page.url().endsWith('#/draft/' + target.id) &&
		(await page.inputValue('#d-body')).endsWith(third + '\n'), page.url());

	await page.click('#b-approve');
	await page.waitForURL(/#\/(queue|draft\/)/, {timeout: 20000}).catch(() => {});
	const sent = await waitFor(() => sinkMessages(process.env.SMTP_MAILDIR, second)[0], 60000, 500);
	check('the SMTP sink carries every edit', sent && sent.includes(first) && sent.includes(second) &&
		sent.includes(third),
		sent ? sent.slice(-300) : 'nothing in the sink with ' + second);
	check('the page raised no script error', b.errors.length === 0, b.errors.join(' | '));
} catch (e) {
	notOk('editor flow', e.stack || e.message);
	await page.screenshot({path: join(shots, 'failure-editor.png'), fullPage: true}).catch(() => {});
} finally {
	await b.close();
}
process.exit(failed() ? 1 : 0);
