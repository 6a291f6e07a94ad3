// SPDX-License-Identifier: MIT
// Claims follow presence; two reviewers on one draft (issue 11, items 6, 8):
// viewing does not claim; the first edit does; the other reviewer sees who
// holds it and cannot overwrite; a heartbeat renews the claim; leaving
// releases it (also closing the tab); an admin takes over and the reviewer
// keeps their unsaved text; a real conflict shows both texts side by side.
//   DRAFTD_URL REVIEWER_TOKEN REVIEWER2_TOKEN ADMIN_TOKEN SCREENSHOT_DIR
import {join} from 'node:path';
import {apiClient, browser, check, failed, login, marker, notOk, pendingDraft, waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asOne = apiClient(base, process.env.REVIEWER_TOKEN);
const asTwo = apiClient(base, process.env.REVIEWER2_TOKEN);
const asAdmin = apiClient(base, process.env.ADMIN_TOKEN);
const draft = async (id) => (await asAdmin('GET', '/drafts/' + id)).data || {};
const holder = async (id) => (await draft(id)).claimed_by || null;
const nameOf = async (call) => ((await call('GET', '/me')).data || {}).name;

const ba = await browser();
const bb = await browser();
const pa = await ba.ctx.newPage();
const pb = await bb.ctx.newPage();
let padmin = null;

async function open(page, id) {
	await page.goto(base + '#/draft/' + id);
	await page.waitForSelector('#d-body');
	await page.waitForFunction(() => /version/.test(document.querySelector('.draft-status').textContent));
}
const readOnly = (page) => page.$eval('#d-body', (el) => el.readOnly);
async function typeAtEnd(page, text) {
	await page.focus('#d-body');
	await page.keyboard.press('Control+End');
	await page.keyboard.type(text);
}

try {
	const one = await nameOf(asOne);
	const two = await nameOf(asTwo);
	const admin = await nameOf(asAdmin);
	const me = (await asOne('GET', '/me')).data || {};
	const beat = (me.review && me.review.heartbeat_seconds) || 40;
	await login(pa, base, process.env.REVIEWER_TOKEN);
	await login(pb, base, process.env.REVIEWER2_TOKEN);
	const x = await pendingDraft(asOne, 'talleres-ibarra', 'stock_inquiry');
	if (!x) throw new Error('no pending stock_inquiry draft from talleres-ibarra');

	// --- viewing does not claim
	await open(pa, x.id);
	await open(pb, x.id);
	await pa.waitForTimeout(1000);
	check('opening a draft in two browsers claims nothing', (await holder(x.id)) === null, await holder(x.id));

	// --- the first edit claims; the other reviewer sees who and cannot overwrite
	const aText = marker('one-typed');
	await typeAtEnd(pa, '\n' + aText);
	check('the first edit claims the draft', await waitFor(async () => (await holder(x.id)) === one, 10000),
		await holder(x.id));
	await pb.waitForSelector('#holder-note', {timeout: 15000}).catch(() => {});
	const note = (await pb.isVisible('#holder-note')) ? await pb.textContent('#holder-note') : '';
	check('the second reviewer sees who holds the draft', note.includes(one), note);
	check('... and their editor is read-only', (await readOnly(pb)) && (await pb.isDisabled('#b-save')) &&
		(await pb.isDisabled('#b-approve')));
	await pb.screenshot({path: join(shots, 'presence.png'), fullPage: true});
	const before = await pb.inputValue('#d-body');
	await pb.click('#d-body');
	await pb.keyboard.type('two tries to type');
	check('typing into the held draft changes nothing', (await pb.inputValue('#d-body')) === before);
	const cur = await draft(x.id);
	const p409 = await asTwo('PATCH', '/drafts/' + x.id, {body: 'overwritten by two'},
		{'If-Match': String(cur.version)});
	check('the second reviewer cannot overwrite it over the API either (409 claimed)',
		p409.status === 409 && (((p409.data || {}).error || {}).detail || {}).claimed_by === one,
		JSON.stringify(p409));

	// --- save, heartbeat, leave
	await pa.click('#b-save');
	await pa.waitForFunction(() => /version 2\b/.test(document.querySelector('.draft-status').textContent));
	check('the holder\'s page says "you are editing"', /you are editing/.test(await pa.textContent('#holder')));
	const exp1 = (await draft(x.id)).claim_expires;
	await pa.mouse.move(200, 200);
	const hb = await pa.waitForRequest((r) => r.url().endsWith('/drafts/' + x.id + '/heartbeat'),
		{timeout: 1000 * beat + 10000}).catch(() => null);
	check('a heartbeat renews the claim while the page is open', !!hb);
	await pa.waitForTimeout(500);
	const exp2 = (await draft(x.id)).claim_expires;
	check('... the claim runs longer after it', exp1 && exp2 && Date.parse(exp2) > Date.parse(exp1),
		exp1 + ' -> ' + exp2);
	await pa.goto(base + '#/queue');
	check('leaving the draft releases the claim', await waitFor(async () => (await holder(x.id)) === null, 10000),
		await holder(x.id));
	check('... and the second reviewer can edit it now', await waitFor(async () => !(await readOnly(pb)), 15000));

	// --- an admin takes over; the reviewer keeps what they had not saved
	const bText = marker('two-unsaved');
	await typeAtEnd(pb, '\n' + bText);
	check('the second reviewer holds it after typing', await waitFor(async () => (await holder(x.id)) === two,
		10000), await holder(x.id));
	padmin = await bb.ctx.newPage();
	await padmin.goto(base);
	await padmin.evaluate(() => sessionStorage.clear());
	await login(padmin, base, process.env.ADMIN_TOKEN);
	await open(padmin, x.id);
	await padmin.waitForSelector('#b-take-over:not([hidden])', {timeout: 10000}).catch(() => {});
	check('an admin sees who holds it and a Take over button', (await padmin.isVisible('#b-take-over')) &&
		(await padmin.textContent('#holder-note')).includes(two));
	if (await padmin.isVisible('#b-take-over')) {
		await padmin.click('#b-take-over');
		await padmin.waitForSelector('#confirm[open]');
		await padmin.click('#confirm-ok');
	}
	check('the admin holds it after the take-over', await waitFor(async () => (await holder(x.id)) === admin,
		10000), await holder(x.id));
	const audit = JSON.stringify((await asAdmin('GET', '/audit?limit=1000&since=' +
		encodeURIComponent(new Date(Date.now() - 600000).toISOString()))).data || {});
	check('the take-over is audited', audit.includes('draft.take_over'));
	await pb.waitForSelector('#kept-body', {timeout: 15000}).catch(() => {});
	check('the reviewer who lost the claim keeps their unsaved text on screen',
		(await pb.isVisible('#kept-body')) && (await pb.inputValue('#kept-body')).includes(bText));
	check('... and their editor is read-only', await readOnly(pb));

	// --- a real conflict: the admin saves and leaves, the reviewer saves too
	const adminText = marker('admin-saved');
	await typeAtEnd(padmin, '\n' + adminText);
	await padmin.click('#b-save');
	await padmin.waitForFunction(() => /version 3\b/.test(document.querySelector('.draft-status').textContent));
	await padmin.goto(base + '#/queue');
	await waitFor(async () => (await holder(x.id)) === null, 10000);
	check('after the admin left, the reviewer can edit again', await waitFor(async () => !(await readOnly(pb)),
		15000));
	check('... with their unsaved text still in the editor', (await pb.inputValue('#d-body')).includes(bText));
	await pb.click('#b-save');
	await pb.waitForSelector('#conflict-sides', {timeout: 10000}).catch(() => {});
	const sides = (await pb.isVisible('#conflict-sides')) ? await pb.textContent('#conflict-sides') : '';
	check('a real conflict shows both texts side by side', sides.includes(adminText) && sides.includes(bText),
		sides.slice(0, 300));
	await pb.screenshot({path: join(shots, 'conflict.png'), fullPage: true});
	if (await pb.isVisible('#b-overwrite')) await pb.click('#b-overwrite');
	const saved = await waitFor(async () => {
		const d = await draft(x.id);
		return (d.body || '').includes(bText) ? d : null;
	}, 10000);
	check('"Save mine over theirs" stores the reviewer\'s text', !!saved);
	await pb.waitForResponse((r) => r.url().endsWith('/api/v1/drafts/' + x.id) && r.request().method() === 'GET',
		{timeout: 15000}).catch(() => {});
	await pb.waitForTimeout(300);
	const line = await pb.textContent('.draft-status');
	const bannerB = (await pb.isVisible('#draft-banner')) ? await pb.textContent('#draft-banner') : '';
	check('... after which the page shows its version and no stale warning, even after a refresh',
		saved && new RegExp('version ' + saved.version + '\\b').test(line) && !/meanwhile/.test(bannerB) &&
		!(await pb.isVisible('.dirty')), line + ' / ' + bannerB);

	// --- closing the tab gives the claim back
	await pb.goto(base + '#/queue');
	await waitFor(async () => (await holder(x.id)) === null, 10000);
	const pc = await ba.ctx.newPage();
	await login(pc, base, process.env.REVIEWER_TOKEN); // a new tab has its own sessionStorage
	await pc.goto(base + '#/draft/' + x.id);
	await pc.waitForSelector('#d-body');
	await pc.waitForFunction(() => /version/.test(document.querySelector('.draft-status').textContent));
	const v = (await draft(x.id)).version;
	await typeAtEnd(pc, ' ');
	await pc.click('#b-save');
	// the save (which claims too) must be done, or it could land after the release
	await pc.waitForFunction((n) => new RegExp('version ' + n + '\\b')
		.test(document.querySelector('.draft-status').textContent), v + 1, {timeout: 10000}).catch(() => {});
	await waitFor(async () => (await holder(x.id)) === one, 10000);
	await pc.close({runBeforeUnload: true});
	check('closing the tab releases the claim', await waitFor(async () => (await holder(x.id)) === null, 10000),
		await holder(x.id));
	check('no page raised a script error', ba.errors.length === 0 && bb.errors.length === 0,
		ba.errors.concat(bb.errors).join(' | '));
} catch (e) {
	notOk('presence flow', e.stack || e.message);
	await pb.screenshot({path: join(shots, 'failure-presence.png'), fullPage: true}).catch(() => {});
} finally {
	await ba.close();
	await bb.close();
}
process.exit(failed() ? 1 : 0);
