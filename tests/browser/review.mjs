// SPDX-License-Identifier: MIT
// The reviewer page against a running draftd that ingested and drafted the
// demo mailbox plus tests/browser/fixtures/*.eml (tests/integration/browser.sh
// sets it up). Prints one "ok - ..." / "not ok - ..." line per check.
//   DRAFTD_URL REVIEWER_TOKEN ADMIN_TOKEN SMTP_MAILDIR SCREENSHOT_DIR
import {mkdirSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {apiClient, browser, check, failed, foreignRequests, login, notOk, ok,
	waitFor} from './lib.mjs';

const base = process.env.DRAFTD_URL;
const shots = process.env.SCREENSHOT_DIR || 'build/screenshots';
const asReviewer = apiClient(base, process.env.REVIEWER_TOKEN);
const asAdmin = apiClient(base, process.env.ADMIN_TOKEN);
mkdirSync(shots, {recursive: true});

async function drafts(q = '') {
	const r = await asAdmin('GET', '/drafts?limit=200' + q);
	return r.data ? r.data.drafts : [];
}
const find = (list, sender, category) => list.find((d) => (d.sender || '').includes(sender) &&
	(!category || d.category === category));

const seriesSum = (days, k = 'drafts') => days.reduce((a, d) => a + (d[k] || 0), 0);
const chartBars = (p) => p.locator('#series-chart rect.bar').count();

// The stats view's daily chart: a bar per day adding up to the API's series,
// the approve-unchanged line, the series selector (overall -> a category) and
// the days selector (30 -> 7), the table of days, and no inline styles.
async function statsChecks(p) {
	const st = ((await asAdmin('GET', '/stats?days=30')).data || {}).series || {};
	const overall = seriesSum(st.overall || []);
	await p.waitForSelector('#series-chart[data-series="overall"]');
	check('the chart has a bar for each of the 30 days', (await chartBars(p)) === 30,
		String(await chartBars(p)));
	const shown = Number(await p.getAttribute('#series-chart', 'data-total'));
	const heights = await p.$$eval('#series-chart rect.bar', (r) => r.map((x) => Number(x.getAttribute('height'))));
	check('overall: the bars are the drafts per day of /stats (' + overall + ')',
		shown === overall && overall > 0 && heights[heights.length - 1] > 0, shown + ' vs ' + overall);
	check('the approve-unchanged rate is drawn on its own axis',
		(await p.locator('#series-chart .rate-point').count()) >= 1 &&
		(await p.locator('#series-chart text.rate-label').count()) === 5);
	check('the table lists the 30 days', (await p.locator('#series-table tbody tr').count()) === 30);
	await p.screenshot({path: join(shots, 'stats.png'), fullPage: true});

	const cat = (st.categories || []).find((c) => {
		const n = seriesSum(c.days);
		return n > 0 && n !== overall;
	});
	if (!cat) {
		notOk('a category with drafts other than the overall count', JSON.stringify(st).slice(0, 300));
		return;
	}
	const before = await p.innerHTML('#series-chart');
	await p.selectOption('#stats-series', 'category:' + cat.category);
	await p.waitForSelector('#series-chart[data-series="category:' + cat.category + '"]');
	const catShown = Number(await p.getAttribute('#series-chart', 'data-total'));
	check('choosing category ' + cat.category + ' redraws the chart with its drafts (' +
		seriesSum(cat.days) + ')', catShown === seriesSum(cat.days) &&
		(await p.innerHTML('#series-chart')) !== before &&
		(await p.textContent('#series h2')).includes(cat.category), String(catShown));
	await p.selectOption('#stats-days', '7');
	const seven = await waitFor(async () => (await chartBars(p)) === 7, 10000);
	check('the days selector asks for 7 days and keeps the category', seven &&
		(await p.getAttribute('#series-chart', 'data-series')) === 'category:' + cat.category &&
		(await p.locator('#series-table tbody tr').count()) === 7);
	check('the stats view sets no inline style', (await p.locator('#view [style]').count()) === 0);
	const bl = ((await asAdmin('GET', '/stats?days=7')).data || {}).backlog || {};
	const shownBl = await p.textContent('#stats-backlog').catch(() => '');
	check('the stats view shows the backlog and first-response time', shownBl.startsWith('Open messages' +
		bl.open + ' (') && /First response/.test(shownBl), shownBl.slice(0, 200));
	// how old the shared backlog count is, in words and the clock time
	const asOf = await p.textContent('#stats-backlog-asof').catch(() => '');
	check('the stats view says how old the backlog figures are', /^Figures as of (just now|\d+ s ago) \(.+\)\.$/
		.test(asOf), asOf);
	const headerTitle = await p.getAttribute('#backlog', 'title').catch(() => '');
	check('the header\'s backlog figure says how old it is', /; figures as of (just now|\d+ s ago)/
		.test(headerTitle || ''), headerTitle);
}

const b = await browser();
const page = await b.ctx.newPage();
const marker = 'Edited in the browser test ' + Date.now();
try {
	// --- login, queue, keyboard, live refresh
	await login(page, base, process.env.REVIEWER_TOKEN);
	ok('log in with a reviewer token');
	await page.waitForSelector('#queue-table tbody tr', {timeout: 15000});
	const rows = await page.locator('#queue-table tbody tr').count();
	check('the queue lists the drafted mail', rows >= 10, rows + ' rows');
	check('the reviewer role is shown', (await page.textContent('#who-role')) === 'reviewer');
	check('the reviewer\'s name from /me is shown', (await page.textContent('#who-name')) === 'browser-reviewer',
		await page.textContent('#who-name'));
	const listCalls = b.requests.filter((u) => u.includes('/api/v1/drafts?'));
	check('the open queue is one request (status=open)', listCalls.length > 0 &&
		listCalls.every((u) => new URL(u).searchParams.get('status') === 'open'), listCalls.join(' '));
	const firstRow = await page.getAttribute('#queue-table tbody tr:first-child', 'data-id');
	const firstDraft = (await asReviewer('GET', '/drafts/' + firstRow)).data || {};
	const shownSubject = await page.textContent('#queue-table tbody tr:first-child td.subject');
	check('the queue shows the original message\'s subject', firstDraft.message &&
		shownSubject === (firstDraft.message.headers.subject || firstDraft.subject),
		shownSubject + ' vs ' + JSON.stringify(firstDraft.message && firstDraft.message.headers.subject));
	await page.screenshot({path: join(shots, 'queue.png')});

	const first = await page.getAttribute('#queue-table tbody tr.selected', 'data-id');
	await page.keyboard.press('j');
	const second = await page.getAttribute('#queue-table tbody tr.selected', 'data-id');
	check('j moves the selection down', first && second && first !== second, first + ' -> ' + second);
	await page.keyboard.press('k');
	check('k moves it back', (await page.getAttribute('#queue-table tbody tr.selected', 'data-id')) === first);
	await page.keyboard.press('?');
	check('? opens the keyboard help', await page.locator('#help[open]').isVisible());
	await page.keyboard.press('Escape');

	await page.click('#f-q');
	await page.keyboard.type('zzz-still-typing', {delay: 30});
	await page.waitForTimeout(6500); // longer than the 5 s refresh
	const typed = await page.inputValue('#f-q');
	const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
	check('a live refresh keeps what the reviewer is typing', typed === 'zzz-still-typing' && focused === 'f-q',
		typed + ' focus=' + focused);
	await page.fill('#f-q', '');
	await page.waitForTimeout(600);

	// --- open a draft, edit, approve
	let list = await drafts('&status=pending');
	const target = find(list, 'lindqvist-marine', 'stock_inquiry') || list[0];
	await page.goto(base + '#/draft/' + target.id);
	await page.waitForSelector('#d-body');
	await page.waitForSelector('#message-text');
	check('the draft view shows the original message as text',
		(await page.textContent('#message-text')).length > 20);
	check('the draft view shows the facts with their fetch time',
		(await page.locator('table.facts').count()) > 0 && (await page.textContent('.slot-evidence')).includes('fetched'));
	await page.screenshot({path: join(shots, 'draft.png'), fullPage: true});
	const body = await page.inputValue('#d-body');
	await page.fill('#d-body', body + '\n' + marker + '\n');
	await page.click('#b-approve');
	const outcome = await Promise.race([
		page.waitForURL(/#\/queue/, {timeout: 20000}).then(() => 'queue'),
		page.waitForSelector('#conflict:not([hidden]) #b-force', {timeout: 20000}).then(() => 'facts'),
	]).catch((e) => 'timeout: ' + e.message);
	if (outcome === 'facts') {
		ok('approve re-checked the facts and showed the conflict panel');
		await page.click('#b-force');
		await page.waitForURL(/#\/queue/, {timeout: 20000});
	}
	check('Approve & send returns to the queue', outcome === 'queue' || outcome === 'facts', outcome);
	const approved = await asAdmin('GET', '/drafts/' + target.id);
	const d = approved.data || {};
	check('the draft is approved with the edit as its body',
		['approved', 'sent'].includes(d.status) && (d.final_body || d.body || '').includes(marker),
		JSON.stringify({status: d.status}));
	check('approving wrote the outbox row', d.outbox && d.outbox.message_id, JSON.stringify(d.outbox));
	// the SMTP sink receives the edited text once the outbox sender runs
	const sink = join(process.env.SMTP_MAILDIR || '/nonexistent', 'new');
	const sent = await waitFor(() => {
		try {
			return readdirSync(sink).map((f) => readFileSync(join(sink, f), 'utf8'))
				.find((m) => m.includes(marker.slice(-13)));
		} catch (e) {
			return null;
		}
	}, 45000, 500);
	if (sent) {
		check('the sent message in the SMTP sink carries the edit', sent.includes(marker));
		check('the sent message goes to the customer', /X-RcptTo: .*lindqvist-marine\.example/i.test(sent) ||
			/^To: .*lindqvist-marine\.example/im.test(sent));
	} else {
		const o = (await asAdmin('GET', '/drafts/' + target.id)).data.outbox || {};
		notOk('the sent message in the SMTP sink carries the edit', 'nothing in the sink after 45 s; outbox ' + JSON.stringify(o));
	}

	// --- a stale version (412) keeps the reviewer's text and shows the difference
	list = await drafts('&status=pending');
	const other = find(list, 'talleres-ibarra', 'stock_inquiry') || list[0];
	await page.goto(base + '#/draft/' + other.id);
	await page.waitForSelector('#d-body');
	await page.waitForFunction(() => /version/.test(document.querySelector('.draft-status').textContent));
	const cur = (await asReviewer('GET', '/drafts/' + other.id)).data;
	await page.fill('#d-subject', 'Mine: ' + cur.subject);
	const p412 = await asReviewer('PATCH', '/drafts/' + other.id, {subject: 'Theirs: ' + cur.subject},
		{'If-Match': String(cur.version)});
	check('a second edit lands through the API (same reviewer, other tab)', p412.status === 200, p412.status);
	await page.click('#b-save');
	await page.waitForSelector('#conflict:not([hidden])', {timeout: 10000});
	const ctext = await page.textContent('#conflict');
	check('a stale save (412) is shown with what changed', /changed this draft/.test(ctext) &&
		ctext.includes('Theirs: ') && ctext.includes('Mine: '), ctext.slice(0, 200));
	check('the reviewer\'s edit is still in the editor', (await page.inputValue('#d-subject')).startsWith('Mine: '));
	await page.click('#b-take-theirs');
	check('loading theirs puts their text in the editor and keeps mine beside it',
		(await page.inputValue('#d-subject')).startsWith('Theirs: ') &&
		(await page.inputValue('#kept-subject')).startsWith('Mine: '));

	// --- the business rules' notes are shown next to the editor
	list = await drafts('&status=pending');
	let noted = null;
	for (const x of list) {
		const full = (await asReviewer('GET', '/drafts/' + x.id)).data;
		if (full && Array.isArray(full.notes) && full.notes.length) {
			noted = full;
			break;
		}
	}
	if (noted) {
		await page.goto(base + '#/draft/' + noted.id);
		await page.waitForSelector('#draft-notes', {timeout: 10000});
		const ntext = await page.textContent('#draft-notes');
		check('a draft\'s notes are shown to the reviewer', noted.notes.every((n) => ntext.includes(n)),
			ntext.slice(0, 200));
	} else {
		notOk('a draft\'s notes are shown to the reviewer', 'no pending draft has notes (demo rules add them)');
	}

	// --- reject another with a corrected category
	list = await drafts('&status=pending');
	const rej = find(list, 'officine-rossi', 'other') || find(list, 'officine-rossi') || list[list.length - 1];
	await page.goto(base + '#/draft/' + rej.id);
	await page.waitForSelector('#d-body');
	await page.waitForFunction(() => /version/.test(document.querySelector('.draft-status').textContent));
	await page.keyboard.press('r');
	await page.waitForSelector('#reject-reason');
	await page.fill('#reject-reason', 'wrong category: asks about stock');
	const newCat = rej.category === 'stock_inquiry' ? 'order_status' : 'stock_inquiry';
	await page.selectOption('#reject-category', newCat);
	await page.click('#confirm-ok');
	await page.waitForURL(/#\/queue/, {timeout: 10000});
	const r = (await asAdmin('GET', '/drafts/' + rej.id)).data;
	check('reject with a reason and a corrected category', r.status === 'rejected' &&
		r.corrected_category === newCat && /wrong category/.test(r.reject_reason || ''), JSON.stringify(r.status));

	// --- categories: a reviewer cannot change a mode
	await page.goto(base + '#/categories');
	await page.waitForSelector('#mode-order_status');
	check('a reviewer sees the mode switches disabled', await page.isDisabled('#mode-order_status'));
	const put = await page.evaluate(async () => {
		const t = sessionStorage.getItem('draftd.token');
		const r = await fetch('/api/v1/categories/order_status', {method: 'PUT',
			headers: {Authorization: 'Bearer ' + t, 'Content-Type': 'application/json'},
			body: JSON.stringify({mode: 'auto'})});
		return r.status;
	});
	check('a reviewer\'s PUT /categories is refused (403)', put === 403, put);

	// --- hostile content renders as inert text
	list = await drafts();
	for (const who of ['okafor-logistics', 'hostile-html.example', 'hostile-attach.example']) {
		const hd = find(list, who);
		if (!hd) {
			ok('hostile message from ' + who + ': SKIPPED, no draft was made for it (nothing to render)');
			continue;
		}
		await page.goto(base + '#/draft/' + hd.id);
		await page.waitForSelector('#message-text');
		await page.waitForTimeout(800);
		const state = await page.evaluate(() => ({
			pwned: window.__pwned,
			scripts: document.querySelectorAll('#view script, #view iframe, #view img, #view object, #view embed, #view svg image').length,
			links: Array.from(document.querySelectorAll('#view a')).map((a) => a.getAttribute('href'))
				.filter((h) => !h || !h.startsWith('#/')),
			handlers: Array.from(document.querySelectorAll('#view *')).filter((e) =>
				Array.from(e.attributes).some((a) => /^on/i.test(a.name))).length,
			text: document.querySelector('#view').textContent,
		}));
		check('hostile ' + who + ': no script ran (canary unset)', state.pwned === undefined, state.pwned);
		check('hostile ' + who + ': no script, frame or image element was created', state.scripts === 0, state.scripts);
		check('hostile ' + who + ': no link from the message became clickable', state.links.length === 0, state.links.join(' '));
		check('hostile ' + who + ': no event-handler attribute in the page', state.handlers === 0, state.handlers);
		if (who === 'okafor-logistics') {
			check('hostile subject shown as text', state.text.includes('<script>window.__pwned=1</script>'));
			check('the injection flag is explained in plain words', /instruct the assistant/.test(state.text));
		}
	}
	check('no dialog (alert/confirm/prompt) fired', b.dialogs.length === 0, b.dialogs.join(' | '));
	check('no page script error', b.errors.length === 0, b.errors.join(' | '));

	// --- mail without a draft: the "Needs a human" list, the message, ask for a draft
	const humans = ((await asReviewer('GET', '/messages?state=human')).data || {}).messages || [];
	const hm = humans.find((m) => (m.sender || '').includes('vanderberg-techniek'));
	check('the address change (category off) waits for a human', hm && /off/.test(hm.reason || ''),
		JSON.stringify(humans.map((m) => [m.sender, m.reason])));
	if (hm) {
		await page.goto(base + '#/human');
		await page.waitForSelector('#human-table tbody tr', {timeout: 10000});
		const htext = await page.textContent('#human-table');
		check('"Needs a human" lists it with the reason', htext.includes(hm.subject) && htext.includes(hm.reason),
			htext.slice(0, 300));
		await page.screenshot({path: join(shots, 'human.png')});
		await page.click('#human-table tbody tr[data-id="' + hm.id + '"] td.subject a');
		await page.waitForSelector('#message-text');
		check('the message opens as text', (await page.textContent('#message-text')).length > 20 &&
			(await page.textContent('#message-reason')).includes(hm.reason));
		const on = await asAdmin('PUT', '/categories/address_change', {mode: 'draft'});
		check('an admin switches the category on', on.status === 200, on.status);
		await page.click('#b-ask-draft');
		await page.waitForSelector('#message-drafts a', {timeout: 30000}).catch(() => {});
		const m = (await asReviewer('GET', '/messages/' + hm.id)).data || {};
		check('asking for a draft drafts it', (m.drafts || []).length > 0 && m.state === 'drafted',
			JSON.stringify({state: m.state, drafts: m.drafts, job: m.job}));
		check('the page links the new draft', (await page.locator('#message-drafts a').count()) > 0);
		const left = ((await asReviewer('GET', '/messages?state=human')).data || {}).messages || [];
		check('it left the "Needs a human" list', !left.some((x) => x.id === hm.id));
	}

	// --- admin: flip a category to shadow, with confirmation
	const admin = await b.ctx.newPage();
	await admin.goto(base);
	await admin.evaluate(() => sessionStorage.clear());
	await login(admin, base, process.env.ADMIN_TOKEN);
	check('the admin role is shown', (await admin.textContent('#who-role')) === 'admin');
	check('the admin\'s name is shown', (await admin.textContent('#who-name')) === 'browser-admin');
	await admin.goto(base + '#/categories');
	await admin.waitForSelector('#mode-order_status:not([disabled])');
	await admin.screenshot({path: join(shots, 'categories.png'), fullPage: true});
	await admin.selectOption('#mode-order_status', 'shadow');
	await admin.waitForSelector('#confirm[open]');
	const confirmText = await admin.textContent('#confirm');
	check('changing a mode asks for confirmation with the evidence', /reviewed/.test(confirmText) &&
		/draft → shadow/.test(confirmText), confirmText.slice(0, 200));
	await admin.click('#confirm-ok');
	const cats = await waitFor(async () => {
		const c = await asAdmin('GET', '/categories');
		const oc = (c.data.categories || []).find((x) => x.name === 'order_status');
		return oc && oc.mode === 'shadow' ? oc : null;
	}, 10000);
	check('an admin flips order_status to shadow', cats && cats.updated_by === 'browser-admin',
		JSON.stringify(cats));
	const audit = await asAdmin('GET', '/audit?limit=50');
	check('the change is in the audit log', JSON.stringify(audit.data || {}).includes('category.update'));
	await admin.goto(base + '#/stats');
	await admin.waitForSelector('#stats svg.chart');
	ok('the stats view draws its chart');
	await statsChecks(admin);

	// --- logout
	await admin.click('#logout');
	await admin.waitForSelector('#login:not([hidden])');
	check('log out forgets the token', (await admin.evaluate(() => sessionStorage.getItem('draftd.token'))) === null);

	const foreign = foreignRequests(b, base);
	check('every request went to draftd and nowhere else (' + b.requests.length + ' requests)',
		foreign.length === 0, foreign.join(' '));
} catch (e) {
	notOk('browser session', e.stack || e.message);
	await page.screenshot({path: join(shots, 'failure.png'), fullPage: true}).catch(() => {});
} finally {
	await b.close();
}
process.exit(failed() ? 1 : 0);
