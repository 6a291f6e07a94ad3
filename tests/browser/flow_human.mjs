// SPDX-License-Identifier: MIT
// Reject never drops the customer; a person answers or closes from "Needs a
// human" (issue 11, items 1, 4, 5, 10): a draft rejected without a category
// puts its message under "Needs a human" with the reason; a reply written
// there from scratch (the customer's mail beside it) reaches the SMTP sink
// threaded; another message is closed with a reason and reopened. The
// message's state and the backlog in the header are checked on the way.
//   DRAFTD_URL REVIEWER_TOKEN SMTP_MAILDIR SCREENSHOT_DIR
import {join} from 'node:path';
import {apiClient, browser, check, failed, login, marker, notOk, pendingDraft, sinkMessages,
	waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asReviewer = apiClient(base, process.env.REVIEWER_TOKEN);
const message = async (id) => (await asReviewer('GET', '/messages/' + id)).data || {};
const humans = async () => ((await asReviewer('GET', '/messages?state=human&limit=200')).data || {}).messages || [];

const b = await browser();
const page = await b.ctx.newPage();

// Rejects draft d from its page with reason (no category); returns its message id.
async function rejectFromPage(d, reason) {
	await page.goto(base + '#/draft/' + d.id);
	await page.waitForSelector('#d-body');
	await page.waitForFunction(() => /version/.test(document.querySelector('.draft-status').textContent));
	await page.click('#b-reject');
	await page.waitForSelector('#reject-reason');
	await page.fill('#reject-reason', reason);
	await page.click('#confirm-ok');
	await page.waitForURL(/#\/queue/, {timeout: 10000}).catch(() => {});
	const full = (await asReviewer('GET', '/drafts/' + d.id)).data || {};
	return full.message_id || (full.message && full.message.id);
}

try {
	await login(page, base, process.env.REVIEWER_TOKEN);

	// --- the backlog in the header is the API's
	await page.waitForSelector('#backlog:not([hidden])', {timeout: 10000}).catch(() => {});
	const backlog = (await asReviewer('GET', '/backlog')).data || {};
	const shownBacklog = (await page.isVisible('#backlog')) ? await page.textContent('#backlog') : '';
	check('the header shows the backlog (open messages, oldest open age)',
		new RegExp('^' + backlog.open + ' open').test(shownBacklog) && /oldest/.test(shownBacklog),
		shownBacklog + ' vs ' + JSON.stringify(backlog));
	await page.waitForSelector('#queue-table tbody tr');
	check('the queue shows each draft\'s message state',
		/open/.test(await page.textContent('#queue-table tbody tr:first-child td:last-child')));

	// --- reject without a category: the message goes under "Needs a human"
	const gf = await pendingDraft(asReviewer, 'greenfield-agri');
	if (!gf) throw new Error('no pending draft from greenfield-agri');
	const reason = 'customer wants a call from the sales lead';
	const gfMsg = await rejectFromPage(gf, reason);
	const after = await message(gfMsg);
	check('a reject without a category leaves the message open, under "Needs a human"',
		after.status === 'open' && after.queue === 'human', JSON.stringify({status: after.status, queue: after.queue}));
	check('the reject is the message\'s reason', (after.reason || '').includes(reason), after.reason);
	await page.goto(base + '#/human');
	await page.waitForSelector('#human-table tbody tr[data-id="' + gfMsg + '"]', {timeout: 15000}).catch(() => {});
	const row = page.locator('#human-table tbody tr[data-id="' + gfMsg + '"]');
	check('"Needs a human" lists the rejected message', (await row.count()) === 1);
	if (await row.count()) {
		const text = await row.textContent();
		check('... with the reason and its state', text.includes(reason) && /open/.test(text), text);
	}
	await page.screenshot({path: join(shots, 'human-rejected.png')});

	// --- write the reply there, beside the customer's mail
	await page.goto(base + '#/message/' + gfMsg);
	await page.waitForSelector('#message-text');
	await page.waitForSelector('#compose', {timeout: 10000}).catch(() => {});
	check('the message view has the reply form beside the customer\'s mail',
		(await page.isVisible('#compose')) && (await page.isVisible('#message-text')));
	const text = marker('composed-reply');
	await page.fill('#c-body', 'Dear customer,\n\nour sales lead will call you today.\n' + text + '\n');
	await page.screenshot({path: join(shots, 'compose.png'), fullPage: true});
	await page.click('#b-send-reply');
	await page.waitForSelector('#sending .send-item', {timeout: 10000}).catch(() => {});
	check('sending shows "sending in N s" with Undo', /sending in \d+ s/i.test(
		(await page.textContent('#sending').catch(() => '')) || '') &&
		(await page.locator('#sending button.undo').count()) > 0,
	await page.textContent('#sending').catch(() => ''));
	const sent = await waitFor(() => sinkMessages(process.env.SMTP_MAILDIR, text)[0], 60000, 500);
	const orig = await message(gfMsg);
	const mid = (orig.headers || {}).message_id;
	check('the composed reply reaches the SMTP sink', !!sent, 'nothing with ' + text);
	if (sent && mid) {
		check('it is threaded: In-Reply-To is the customer\'s Message-ID',
			new RegExp('^In-Reply-To: ' + mid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'mi').test(sent), mid);
		check('... and References carries it', /^References: .*/mi.test(sent) &&
			sent.match(/^References: (.*)$/mi)[1].includes(mid));
	}
	check('the message is replied', (await waitFor(async () => (await message(gfMsg)).status === 'replied',
		20000)), (await message(gfMsg)).status);
	check('it left "Needs a human"', !(await humans()).some((m) => m.id === gfMsg));
	await page.goto(base + '#/message/' + gfMsg);
	await page.waitForFunction(() => /replied/.test((document.querySelector('#message-state') || {}).textContent),
		null, {timeout: 10000}).catch(() => {});
	check('the replied message offers only a follow-up, recorded as such',
		/replied/.test(await page.textContent('#message-state')) &&
		/follow-up/i.test(await page.textContent('#compose').catch(() => '')) &&
		(await page.locator('#close-form').count()) === 0);

	// --- close another one with a reason, then reopen it
	const or = await pendingDraft(asReviewer, 'officine-rossi', 'other') ||
		await pendingDraft(asReviewer, 'officine-rossi');
	if (!or) throw new Error('no pending draft from officine-rossi');
	const orMsg = await rejectFromPage(or, 'needs a human: the customer phoned about it');
	await page.goto(base + '#/message/' + orMsg);
	await page.waitForSelector('#close-form', {timeout: 10000}).catch(() => {});
	check('the message view offers closing with a reason', await page.isVisible('#close-form'));
	await page.click('#close-form button.chip[data-reason="answered by phone"]');
	await page.click('#b-close');
	const closed = await waitFor(async () => {
		const m = await message(orMsg);
		return m.status === 'closed' ? m : null;
	}, 10000);
	check('closing stores the reason', closed && closed.close_reason === 'answered by phone',
		JSON.stringify(closed && {status: closed.status, reason: closed.close_reason}));
	await page.waitForFunction(() => /closed/.test(document.querySelector('#message-state').textContent),
		null, {timeout: 10000}).catch(() => {});
	check('the page shows it closed with the reason', /closed/.test(await page.textContent('#message-state')) &&
		(await page.textContent('#message-reason')).includes('answered by phone'));
	check('it left "Needs a human"', !(await humans()).some((m) => m.id === orMsg));
	await page.click('#b-reopen');
	check('Reopen puts it back under "Needs a human"', await waitFor(async () =>
		(await humans()).some((m) => m.id === orMsg), 10000));
	check('the page raised no script error', b.errors.length === 0, b.errors.join(' | '));
} catch (e) {
	notOk('needs-a-human flow', e.stack || e.message);
	await page.screenshot({path: join(shots, 'failure-human.png'), fullPage: true}).catch(() => {});
} finally {
	await b.close();
}
process.exit(failed() ? 1 : 0);
