// SPDX-License-Identifier: MIT
// A reply that cannot be sent is shown in words (issue 11: "the stuck /
// failed state of a reply"): against a mail server that refuses every
// connection, the tray, the draft's page and "Needs a human" say that
// nothing was sent and why, and the message is back in a person's list.
//   DRAFTD_URL REVIEWER_TOKEN SCREENSHOT_DIR
import {spawn} from 'node:child_process';
import {mkdirSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {apiClient, browser, check, failed, login, notOk, waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asReviewer = apiClient(base, process.env.REVIEWER_TOKEN);

let sink = null;
const b = await browser();
const page = await b.ctx.newPage();
try {
	await login(page, base, process.env.REVIEWER_TOKEN);
	// issue 18: a mailbox that cannot send says so on the queue page
	await page.waitForSelector('#mailbox-problems p.mailbox-problem', {timeout: 15000}).catch(() => {});
	const problem = (await page.isVisible('#mailbox-problems')) ? await page.textContent('#mailbox-problems') : '';
	check('the queue page says which mailbox cannot send replies and why',
		/Mailbox nosent cannot send replies: the server has no Sent folder and creating one failed/.test(problem),
		problem);
	const list = ((await asReviewer('GET', '/drafts?status=open&limit=1')).data || {}).drafts || [];
	if (!list.length) throw new Error('no open draft');
	const x = list[0];
	await page.goto(base + '#/draft/' + x.id);
	await page.waitForSelector('#d-body');
	await page.waitForFunction(() => /version/.test(document.querySelector('.draft-status').textContent));
	await page.click('#b-approve');
	const item = '#sending .send-item[data-draft="' + x.id + '"]';
	await page.waitForSelector(item + '.failed', {timeout: 60000}).catch(() => {});
	const tray = (await page.isVisible(item)) ? await page.textContent(item) : '';
	check('the tray says the reply could not be sent', /Sending failed/.test(tray) && /Nothing was sent/.test(tray),
		tray);
	const d = (await asReviewer('GET', '/drafts/' + x.id)).data || {};
	check('the draft\'s outbox row failed', d.outbox && d.outbox.state === 'failed', JSON.stringify(d.outbox));
	await page.goto(base + '#/draft/' + x.id);
	await page.waitForSelector('#outbox-words', {timeout: 10000}).catch(() => {});
	const words = (await page.isVisible('#outbox-words')) ? await page.textContent('#outbox-words') : '';
	check('the draft\'s page says so in words, with the mail server\'s answer',
		/Sending failed after 1 try/.test(words) && d.outbox && d.outbox.last_error &&
		words.includes(d.outbox.last_error), words);
	await page.screenshot({path: join(shots, 'send-failed.png')});
	const mid = d.message_id || (d.message && d.message.id);
	const human = await waitFor(async () => {
		const ms = ((await asReviewer('GET', '/messages?state=human')).data || {}).messages || [];
		return ms.find((m) => m.id === mid);
	}, 10000);
	check('its message is back under "Needs a human" with a reason', human && human.status === 'open' &&
		!!human.reason, JSON.stringify(human));
	await page.goto(base + '#/human');
	await page.waitForSelector('#human-table tbody tr[data-id="' + mid + '"]', {timeout: 15000}).catch(() => {});
	check('the page lists it there', (await page.locator('#human-table tbody tr[data-id="' + mid + '"]').count()) === 1);

	// issue 18: why it has not left, and "Send again" with the approved text kept
	await page.goto(base + '#/draft/' + x.id);
	await page.waitForSelector('#delivery-stuck', {timeout: 10000}).catch(() => {});
	const reason = (await page.isVisible('#stuck-reason')) ? await page.textContent('#stuck-reason') : '';
	check('the draft\'s page shows why it was not sent (the mail server\'s answer)',
		!!d.outbox.last_error && reason.includes(d.outbox.last_error), reason);
	const label = (await page.isVisible('#b-retry')) ? await page.textContent('#b-retry') : '';
	check('and offers "Send again"', label.trim() === 'Send again', label);
	await page.screenshot({path: join(shots, 'send-failed-stuck.png')});
	if (process.env.DEAD_SMTP_PORT) {
		// the cause fixed: a mail server listens on the port now
		const dir = process.env.SINK_DIR;
		mkdirSync(dir, {recursive: true});
		sink = spawn('/usr/bin/python3', [process.env.SINK_SCRIPT, '--port', process.env.DEAD_SMTP_PORT,
			'--port-file', join(dir, 'port'), '--maildir', dir], {stdio: 'ignore'});
		await waitFor(async () => { try { return readFileSync(join(dir, 'port'), 'utf8'); } catch { return null; } }, 10000);
		await page.click('#b-retry');
		const sent = await waitFor(async () => {
			const r = (await asReviewer('GET', '/drafts/' + x.id)).data || {};
			return r.outbox && r.outbox.state === 'sent' ? r : null;
		}, 30000);
		check('"Send again" sends it', !!sent, JSON.stringify(sent && sent.outbox));
		let mails = [];
		try { mails = readdirSync(join(dir, 'new')).map((f) => readFileSync(join(dir, 'new', f), 'utf8')); } catch { /* none */ }
		const text = (d.final_body || d.body || '').split('\n').find((l) => l.trim().length > 10) || '';
		check('once, with the approved text', mails.length === 1 && text !== '' &&
			mails[0].replace(/=\r?\n/g, '').includes(text.trim().slice(0, 30)), mails.length + ' mails');
		await page.reload();
		await page.waitForSelector('#outbox-words', {timeout: 10000}).catch(() => {});
		const after = (await page.isVisible('#outbox-words')) ? await page.textContent('#outbox-words') : '';
		check('the page says it was sent, the stuck panel is gone', /Sent/.test(after) &&
			!(await page.isVisible('#delivery-stuck')), after);
		await page.screenshot({path: join(shots, 'send-again-sent.png')});
	}
	check('the page raised no script error', b.errors.length === 0, b.errors.join(' | '));
} catch (e) {
	notOk('failed send flow', e.stack || e.message);
	await page.screenshot({path: join(shots, 'failure-outbox.png'), fullPage: true}).catch(() => {});
} finally {
	if (sink) sink.kill();
	await b.close();
}
process.exit(failed() ? 1 : 0);
