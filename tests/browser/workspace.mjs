// SPDX-License-Identifier: MIT
// The reviewer's workspace in Chromium (issue 16 items 2-5), run by
// tests/integration/workspace.sh after its REST checks: the thread and
// history panes show the right mails and open them in one click; a snippet
// inserted with its key carries the facts; a note written next to a draft
// that is then regenerated and sent never reaches the SMTP sink nor the
// model; two reviewers take one message at once (one wins, the other is
// told who) and "mine" differs per person; the queue shows the assignment
// and who is editing; search finds a message by order number, by a German
// word's inflected form and by sender domain; an admin adds a snippet.
//   DRAFTD_URL REVIEWER_TOKEN REVIEWER2_TOKEN ADMIN_TOKEN SMTP_MAILDIR MODEL_LOG SCREENSHOT_DIR
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {apiClient, browser, check, failed, foreignRequests, login, marker, notOk, sinkMessages,
	waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asOne = apiClient(base, process.env.REVIEWER_TOKEN);
const asAdmin = apiClient(base, process.env.ADMIN_TOKEN);
const nameOf = async (call) => ((await call('GET', '/me')).data || {}).name;

// the fixtures' messages by the first label of their Message-ID (w01 ... w07)
async function fixtures() {
	const out = {};
	for (let i = 1; i <= 8; i++) out['w0' + i] = null;
	const r = await asAdmin('GET', '/messages?limit=200');
	for (const m of (r.data && r.data.messages) || []) {
		const full = (await asAdmin('GET', '/messages/' + m.id)).data || {};
		const mid = ((full.headers || {}).message_id || '').replace(/[<>]/g, '');
		const k = mid.split('.')[0];
		if (k in out && mid.includes('.ws@')) out[k] = m.id;
	}
	return out;
}
const draftOf = async (mid) => ((await asAdmin('GET', '/messages/' + mid)).data || {}).live_draft_id || null;
const draftStatus = async (id) => ((await asAdmin('GET', '/drafts/' + id)).data || {}).status;

// A pending draft for message mid: the live one, else a regenerated one.
async function pendingDraftOf(mid) {
	let id = await draftOf(mid);
	if (id && (await draftStatus(id)) === 'pending') return id;
	await asAdmin('POST', '/messages/' + mid + '/reopen');
	await asAdmin('POST', '/messages/' + mid + '/draft', {force: true});
	return waitFor(async () => {
		id = await draftOf(mid);
		return id && (await draftStatus(id)) === 'pending' ? id : null;
	}, 60000);
}

async function openDraft(page, id) {
	await page.goto(base + '#/draft/' + id);
	await page.waitForSelector('#d-body');
	await page.waitForFunction(() => /version/.test((document.querySelector('.draft-status')?.textContent || '')));
}

const ba = await browser();
const bb = await browser();
const pa = await ba.ctx.newPage();
const pb = await bb.ctx.newPage();
try {
	const one = await nameOf(asOne);
	const two = await nameOf(apiClient(base, process.env.REVIEWER2_TOKEN));
	const W = await fixtures();
	if (Object.values(W).some((x) => !x)) throw new Error('fixtures not found: ' + JSON.stringify(W));
	await login(pa, base, process.env.REVIEWER_TOKEN);
	await login(pb, base, process.env.REVIEWER2_TOKEN);

	// --- the thread and history panes
	await pa.goto(base + '#/message/' + W.w02);
	await pa.waitForSelector('#thread li', {timeout: 15000});
	const shown = await pa.$$eval('#thread li.thread-message', (els) => els.map((e) => Number(e.dataset.message)));
	check('the thread pane shows the three mails of the conversation, oldest first',
		JSON.stringify(shown) === JSON.stringify([W.w01, W.w02, W.w03]), JSON.stringify(shown));
	check('... with this message marked', (await pa.getAttribute('#thread li.current', 'data-message')) ===
		String(W.w02));
	const addr = await pa.$$eval('#history-address li', (els) => els.map((e) => Number(e.dataset.message)));
	const dom = await pa.$$eval('#history-domain li', (els) => els.map((e) => Number(e.dataset.message)));
	check('the history pane lists the customer\'s other conversation and a colleague at the firm',
		JSON.stringify(addr) === JSON.stringify([W.w04]) && JSON.stringify(dom) === JSON.stringify([W.w08, W.w05]),
		JSON.stringify({addr, dom}));
	await pa.screenshot({path: join(shots, 'thread.png'), fullPage: true});
	await pa.click('#history-address li a');
	await pa.waitForFunction(() => /Angebot HP-21004/.test(document.body.textContent), null, {timeout: 15000})
		.catch(() => {});
	check('one click opens the other conversation', /Angebot HP-21004/.test(await pa.textContent('main')));

	// --- a note, a regenerated draft, a snippet by its key, the reply sent
	const status = async (mid) => ((await asAdmin('GET', '/messages/' + mid)).data || {}).status;
	let target = W.w01;
	for (const k of ['w01', 'w02', 'w03']) {
		if ((await status(W[k])) === 'open') {
			target = W[k];
			break;
		}
	}
	const first = await pendingDraftOf(target);
	if (!first) throw new Error('no pending draft for message ' + target);
	await openDraft(pa, first);
	const note = marker('NOTE-browser-never-sent');
	await pa.fill('#note-body', note + ' (the customer owes us for two pallets)');
	await pa.click('#b-add-note');
	await pa.waitForFunction((n) => (document.querySelector('#notes-list')?.textContent || '').includes(n), note,
		{timeout: 10000}).catch(() => {});
	check('a note is added beside the draft', (await pa.textContent('#notes-list')).includes(note));
	await pa.click('#b-regen');
	await pa.waitForSelector('#confirm[open]');
	await pa.click('#confirm-ok');
	const second = await waitFor(async () => {
		const m = /#\/draft\/(\d+)/.exec(pa.url());
		return m && Number(m[1]) !== Number(first) ? Number(m[1]) : null;
	}, 60000, 500);
	check('the regenerated draft opens', !!second, pa.url());
	await pa.waitForFunction(() => /version/.test((document.querySelector('.draft-status')?.textContent || '')));
	await pa.click('#draft-title'); // out of the editor: s is a key, not a letter
	await pa.keyboard.press('s');
	await pa.waitForSelector('#snippet-picker[open]', {timeout: 10000});
	await pa.keyboard.type('track');
	await pa.keyboard.press('Enter');
	await pa.waitForFunction(() => /JD014600007699305144/.test((document.querySelector('#d-body')?.value || '')), null,
		{timeout: 10000}).catch(() => {});
	const body = await pa.inputValue('#d-body');
	check('a snippet inserted with its key carries the facts (carrier, tracking number)',
		body.includes('JD014600007699305144') && body.includes('DHL Express') && !body.includes('{{'),
		body.slice(0, 400));
	await pa.screenshot({path: join(shots, 'snippet.png'), fullPage: true});
	await pa.click('#b-approve');
	const sent = await waitFor(() => {
		const m = sinkMessages(process.env.SMTP_MAILDIR, 'JD014600007699305144')
			.filter((x) => x.includes('Sendungsnummer'));
		return m.length ? m : null;
	}, 60000, 500);
	check('the reply with the snippet was sent', !!sent);
	const all = sinkMessages(process.env.SMTP_MAILDIR, '');
	check('the note is in no sent mail', all.length > 0 && !all.some((m) => m.includes(note) ||
		m.includes('owes us for two pallets')));
	const model = existsSync(process.env.MODEL_LOG || '') ? readFileSync(process.env.MODEL_LOG, 'utf8') : '';
	check('the note is in no model request (the regeneration asked the model after the note was written)',
		model.length > 0 && !model.includes(note) && !model.includes('owes us for two pallets'),
		model.length + ' bytes logged');

	// --- two people take one message at once; "mine" per person
	const m7 = W.w07;
	const d7 = await pendingDraftOf(m7);
	if (!d7) throw new Error('no pending draft for message ' + m7);
	await asAdmin('POST', '/messages/' + m7 + '/assign', {to: ''});
	await openDraft(pa, d7);
	await openDraft(pb, d7);
	await Promise.all([pa.click('#b-take'), pb.click('#b-take')]);
	const winner = await waitFor(async () => ((await asAdmin('GET', '/messages/' + m7)).data || {}).assigned_to,
		10000);
	check('of two people taking one message at once, one has it', winner === one || winner === two, winner);
	const [lp, wname] = winner === one ? [pb, one] : [pa, two];
	await lp.waitForFunction((w) => (document.querySelector('#assigned-to')?.textContent || '').includes(w), wname,
		{timeout: 10000}).catch(() => {});
	check('... and the other sees who', (await lp.textContent('#assigned-to')).includes(winner === one ? one : two) &&
		(await lp.textContent('#notice')).includes('meanwhile'),
	(await lp.textContent('#assigned-to')) + ' / ' + (await lp.textContent('#notice')));
	// the winner edits (presence), then both look at the queue
	const wp = winner === one ? pa : pb;
	const loserPage = winner === one ? pb : pa;
	await wp.focus('#d-body');
	await wp.keyboard.press('Control+End');
	await wp.keyboard.type(' ');
	await waitFor(async () => ((await asAdmin('GET', '/drafts/' + d7)).data || {}).claimed_by === winner, 10000);
	await loserPage.goto(base + '#/queue');
	await loserPage.selectOption('#f-status', 'open');
	await loserPage.selectOption('#f-assigned', '');
	const row = await loserPage.waitForSelector('#queue-table tr[data-id="' + d7 + '"]', {timeout: 15000})
		.catch(() => null);
	const rowText = row ? await row.textContent() : '';
	check('the queue shows who has the message and who is editing it',
		rowText.split(winner).length >= 3, rowText);
	await loserPage.screenshot({path: join(shots, 'queue-assigned.png'), fullPage: true});
	await loserPage.keyboard.press('g');
	await loserPage.keyboard.press('m');
	await loserPage.waitForFunction(() => (document.querySelector('#f-assigned')?.value || '') === 'me', null,
		{timeout: 10000}).catch(() => {});
	await loserPage.waitForTimeout(1000);
	const loserMine = await loserPage.$$eval('#queue-table tbody tr', (els) => els.map((e) => e.dataset.id));
	// the winner saves the space typed for presence, or leaving asks first
	await wp.click('#b-save');
	await wp.waitForFunction(() => !document.querySelector('.dirty') ||
		document.querySelector('.dirty').hidden, null, {timeout: 10000}).catch(() => {});
	await wp.goto(base + '#/queue?assigned=me');
	await wp.waitForSelector('#queue-table tr[data-id="' + d7 + '"]', {timeout: 15000}).catch(() => {});
	const winnerMine = await wp.$$eval('#queue-table tbody tr', (els) => els.map((e) => e.dataset.id));
	check('"mine" lists the message for the one who has it, not for the other',
		winnerMine.includes(String(d7)) && !loserMine.includes(String(d7)),
		JSON.stringify({winnerMine, loserMine}));

	// --- search
	async function search(page, q) {
		await page.goto(base + '#/search');
		await page.waitForSelector('#s-q');
		await page.fill('#s-q', q);
		await page.click('#s-go');
		await page.waitForFunction(() => / found/.test((document.querySelector('#search-count')?.textContent || '')),
			null, {timeout: 15000}).catch(() => {});
		await page.waitForTimeout(300);
		return page.$$eval('#search-results tbody tr', (els) => els.map((e) => Number(e.dataset.message)));
	}
	let got = await search(pa, 'SO-305144');
	check('search finds a message by order number', [W.w01, W.w02, W.w03].every((x) => got.includes(x)) &&
		!got.includes(W.w06), JSON.stringify(got));
	got = await search(pa, 'Lieferungen');
	check('search finds German mail by an inflected form (Lieferungen: Lieferung)', got.includes(W.w01),
		JSON.stringify(got));
	await pa.screenshot({path: join(shots, 'search.png'), fullPage: true});
	got = await search(pa, 'hoffmann-maschinenbau.example');
	check('search finds mail by sender domain',
		JSON.stringify(got.filter((x) => Object.values(W).includes(x)).sort((a, b) => a - b)) ===
		JSON.stringify([W.w01, W.w02, W.w03, W.w04, W.w05, W.w08]), JSON.stringify(got));
	await pa.click('#search-results tbody tr[data-message="' + W.w04 + '"] a');
	await pa.waitForFunction(() => /Angebot HP-21004/.test((document.querySelector('main')?.textContent || '')), null,
		{timeout: 15000}).catch(() => {});
	check('a result opens in one click', /Angebot HP-21004/.test(await pa.textContent('main')));

	// --- snippets are the admins' to manage
	await pb.goto(base + '#/snippets');
	await pb.waitForSelector('#snippets-table');
	check('a reviewer sees the snippets but no form to change them', !(await pb.$('#snippet-form')));
	const pc = await bb.ctx.newPage();
	await pc.goto(base);
	await pc.evaluate(() => sessionStorage.clear());
	await login(pc, base, process.env.ADMIN_TOKEN);
	await pc.goto(base + '#/snippets');
	await pc.waitForSelector('#snippet-form');
	await pc.fill('#sn-name', 'thanks');
	await pc.fill('#sn-language', 'en');
	await pc.fill('#sn-title', 'Thank you');
	await pc.fill('#sn-body', 'Thank you, {{greeting_name}}.');
	await pc.click('#sn-save');
	const made = await waitFor(async () => (((await asAdmin('GET', '/snippets?language=en')).data || {}).snippets || [])
		.some((s) => s.name === 'thanks'), 10000);
	check('an admin adds a snippet on the page', made);
	await pc.close();

	check('no page raised a script error', ba.errors.length === 0 && bb.errors.length === 0,
		ba.errors.concat(bb.errors).join(' | '));
	check('nothing was fetched from another host', foreignRequests(ba, base).length === 0 &&
		foreignRequests(bb, base).length === 0);
} catch (e) {
	notOk('workspace flow', e.stack || e.message);
	await pa.screenshot({path: join(shots, 'failure-workspace.png'), fullPage: true}).catch(() => {});
} finally {
	await ba.close();
	await bb.close();
}
process.exit(failed() ? 1 : 0);
