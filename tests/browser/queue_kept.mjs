// SPDX-License-Identifier: MIT
// Back to the queue at once (issue 16 item 6; browser_flows.sh runs it
// after the flows): the queue is drawn from the list the page kept while the reviewer was in a draft, and asked for again
// in the background (stale-while-revalidate). The list requests are held
// here (page.route) so that what is drawn before the server answers can be
// checked: a draft the reviewer approved in the draft view, or one the
// draft view saw a colleague approve, is not in it; a draft a colleague
// approved unseen leaves the list when the background refresh answers, and
// one undone meanwhile comes back with it. Every approval is undone (and
// the claim that gives released) so the other flows find their drafts.
//   DRAFTD_URL REVIEWER_TOKEN REVIEWER2_TOKEN SCREENSHOT_DIR
import {join} from 'node:path';
import {apiClient, browser, check, failed, login, notOk, waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asOne = apiClient(base, process.env.REVIEWER_TOKEN);
const asTwo = apiClient(base, process.env.REVIEWER2_TOKEN);
const approved = new Map(); // draft id -> the client that approved it

const b = await browser();
const page = await b.ctx.newPage();

// GET /api/v1/drafts (the list) waits here until release().
const held = [];
let holding = false;
await page.route((u) => u.pathname === '/api/v1/drafts', (route) => {
	if (holding) held.push(route);
	else route.continue();
});
function hold() {
	holding = true;
}
async function release() {
	holding = false;
	for (const r of held.splice(0)) await r.continue().catch(() => {});
}

const rowIds = () => page.$$eval('#queue-table tbody tr[data-id]', (trs) => trs.map((tr) => tr.dataset.id));
const selectedId = () => page.getAttribute('#queue-table tbody tr.selected', 'data-id');
const updatedText = () => page.textContent('.view-queue .updated');

async function openSelected() {
	const id = await selectedId();
	await page.keyboard.press('Enter');
	await page.waitForURL((u) => u.hash === '#/draft/' + id, {timeout: 10000});
	await page.waitForFunction(() => {
		const st = document.querySelector('.draft-status');
		return !!st && /version/.test(st.textContent);
	}, null, {timeout: 15000});
	return id;
}
async function select(id) {
	for (let i = 0; i < 100 && (await selectedId()) !== id; i++) {
		const ids = await rowIds();
		await page.keyboard.press(ids.indexOf(id) > ids.indexOf(await selectedId()) ? 'j' : 'k');
	}
	if ((await selectedId()) !== id) throw new Error('cannot select draft #' + id);
}
async function approveVia(call, id) {
	const r = await call('POST', '/drafts/' + id + '/approve', {},
		{'Idempotency-Key': 'kept-' + id + '-' + Date.now()});
	if (r.status === 200) approved.set(id, call);
	return r.status;
}
// approved, not sent: the send delay of the flows' stack is 15 s
async function undo(id) {
	const call = approved.get(id);
	if (!call) return;
	approved.delete(id);
	const r = await call('POST', '/drafts/' + id + '/undo');
	await call('POST', '/drafts/' + id + '/release');
	check('draft #' + id + ' undone for the other flows', r.status === 200, r.status);
}
// the rows drawn while the list request is still held: from the kept list
async function drawnWhileHeld() {
	await page.waitForURL((u) => u.hash.startsWith('#/queue'), {timeout: 10000});
	await page.waitForSelector('#queue-table tbody tr[data-id]', {timeout: 5000});
	await waitFor(async () => held.length > 0, 5000, 50);
	return {rows: await rowIds(), heldNow: held.length > 0, updated: await updatedText()};
}

try {
	await login(page, base, process.env.REVIEWER_TOKEN);
	await page.waitForSelector('#queue-table tbody tr.selected', {timeout: 15000});
	await page.evaluate(() => document.activeElement && document.activeElement.blur());
	// three drafts nobody holds (an earlier flow's claim lasts [review]
	// claim_ttl), the first two next to each other
	const first = await rowIds();
	const free = new Set((((await asOne('GET', '/drafts?status=open&limit=200')).data || {}).drafts || [])
		.filter((d) => !d.claimed_by).map((d) => String(d.id)));
	const at = first.findIndex((id, k) => free.has(id) && free.has(first[k + 1]));
	const c = at < 0 ? undefined : first.find((id, k) => k > at + 1 && free.has(id));
	if (c === undefined) throw new Error('want 3 open drafts nobody holds, have ' + [...free].join(','));
	const [a, bId] = [first[at], first[at + 1]];

	// --- approved in the draft view: gone from the kept list at once
	await select(a);
	await openSelected();
	hold();
	await page.keyboard.press('a');
	await page.waitForSelector('#confirm[open]', {timeout: 10000});
	await page.keyboard.press('y');
	const one = await drawnWhileHeld();
	await page.screenshot({path: join(shots, 'queue-kept.png')});
	check('back from an approval the queue is drawn before the list request is answered',
		one.heldNow && one.rows.length > 0, JSON.stringify(one));
	check('... says it is updating', /updating/.test(one.updated), one.updated);
	check('... without the draft just approved', !one.rows.includes(a), one.rows.join(','));
	check('... with its successor selected', (await selectedId()) === bId, await selectedId());
	approved.set(a, asOne);
	await undo(a);
	await release();
	check('the background refresh brings the undone draft back',
		await waitFor(async () => (await rowIds()).includes(a), 10000), (await rowIds()).join(','));
	check('... and says when it was updated', /updated/.test(await updatedText()), await updatedText());

	// --- a colleague approves the draft this reviewer reads: the draft view
	// sees it, and the kept list does not offer it again
	await select(bId);
	await openSelected();
	const st2 = await approveVia(asTwo, bId);
	check('a colleague approves draft #' + bId, st2 === 200, st2);
	await page.waitForFunction(() => /approved/.test(document.querySelector('.draft-status').textContent),
		null, {timeout: 15000});
	hold();
	await page.keyboard.press('Escape');
	const two = await drawnWhileHeld();
	check('a draft the draft view saw decided is not in the kept list',
		two.heldNow && two.rows.length > 0 && !two.rows.includes(bId), JSON.stringify(two));
	await release();
	await undo(bId);

	// --- approved by a colleague unseen: shown from the kept list until the
	// background refresh answers, then gone
	await page.waitForFunction((id) => !!document.querySelector('#queue-table tbody tr[data-id="' + id + '"]'),
		bId, {timeout: 15000});
	await select(a);
	await openSelected();
	const st3 = await approveVia(asTwo, c);
	check('a colleague approves draft #' + c, st3 === 200, st3);
	hold();
	await page.keyboard.press('Escape');
	const three = await drawnWhileHeld();
	check('the kept list is drawn at once (still listing what the page could not know)',
		three.heldNow && three.rows.includes(c), JSON.stringify(three));
	await release();
	check('the background refresh takes the colleague\'s decision out',
		await waitFor(async () => !(await rowIds()).includes(c), 10000), (await rowIds()).join(','));
	check('the page raised no script error', b.errors.length === 0, b.errors.join(' | '));
} catch (e) {
	notOk('queue kept and refreshed in the background', e.stack || e.message);
	await page.screenshot({path: join(shots, 'failure-queue-kept.png'), fullPage: true}).catch(() => {});
} finally {
	await release().catch(() => {});
	for (const id of [...approved.keys()]) await undo(id).catch(() => {});
	await b.close();
}
process.exit(failed() ? 1 : 0);
