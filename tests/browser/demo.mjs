// SPDX-License-Identifier: MIT
// `make demo` twice in a row: deploy/demo/run.sh started, its page loaded in
// Chromium with the printed reviewer token, stopped with SIGINT; then no
// process it started is left and its temp dir is gone.
//   BUILD (where draftd is) DEMO_RUNS (default 2)
import {spawn} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {apiClient, browser, check, failed, foreignRequests, login, notOk} from './lib.mjs';

const repo = resolve(import.meta.dirname || new URL('.', import.meta.url).pathname, '../..');
const runs = Number(process.env.DEMO_RUNS || 2);

// Running: the PID exists and is not a zombie (an exited daemon whose
// parent, e.g. a container's init, has not reaped it yet).
function alive(pid) {
	try {
		const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
	} catch (e) {
		return false;
	}
}

// The output gates guard a model's drafts; the demo's are the built-in
// templates' on mail with no attack in the text, so none may carry a gate's
// flag (the customer's own subject read as a phone number, "15% restocking
// fee" of the template read as a money promise held four of them once).
// Its mail that is MEANT to be held says so by other flags (another
// customer's order, a foreign Reply-To, an injection).
const GATE_FLAGS = ['link_not_allowed', 'address_not_allowed', 'phone_not_allowed',
	'payment_details', 'money_promise', 'amount_not_in_facts', 'personal_data',
	'date_not_in_facts', 'lookalike_text', 'example_copied'];

async function cleanDrafts(url, token) {
	const call = apiClient(url, token);
	const list = await call('GET', '/drafts?status=pending&limit=100');
	const held = [];
	for (const d of (list.data && list.data.drafts) || []) {
		const one = await call('GET', '/drafts/' + d.id);
		for (const f of (one.data && one.data.guardrail_flags) || [])
			if (GATE_FLAGS.includes(f.flag)) held.push(`#${d.id} ${d.subject}: ${f.flag} ${f.detail}`);
	}
	check('demo: no built-in draft of the demo mailbox carries an output gate\'s flag',
		list.status === 200 && held.length === 0, held.join('; '));
}

async function once(n) {
	const child = spawn('bash', [join(repo, 'deploy/demo/run.sh')], {
		cwd: repo, env: {...process.env, DRAFTD_DEMO_PORT: '0', DRAFTD_DEMO_REEXEC: ''},
		stdio: ['ignore', 'pipe', 'pipe']});
	let out = '';
	child.stdout.on('data', (d) => (out += d));
	child.stderr.on('data', (d) => (out += d));
	const exited = new Promise((r) => child.on('exit', (code, sig) => r({code, sig})));
	const ready = await new Promise((r) => {
		const t = setInterval(() => {
			if (out.includes('demo ready')) r(true);
		}, 200);
		exited.then(() => r(false));
		setTimeout(() => r(false), 300000);
	}).finally(() => {});
	const field = (name) => (out.match(new RegExp('^\\s*' + name + ':\\s*(\\S.*)$', 'm')) || [])[1];
	if (!check(`demo run ${n}: ready, prints the page URL and both tokens`,
		ready && field('page') && field('reviewer token') && field('admin token'), out.slice(-1500))) {
		child.kill('SIGINT');
		await exited;
		return;
	}
	const url = field('page').trim();
	const tmp = field('temp dir').trim();
	const pids = [...field('pids').matchAll(/=(\d+)/g)].map((m) => Number(m[1]));
	check(`demo run ${n}: reports ingested, drafted and skipped counts`,
		/ingested: \d+ of \d+/.test(out) && /drafted: +\d+/.test(out) && /skipped: +\d+/.test(out));
	const b = await browser();
	try {
		const page = await b.ctx.newPage();
		await login(page, url, field('reviewer token').trim());
		await page.waitForSelector('#queue-table tbody tr', {timeout: 20000});
		const rows = await page.locator('#queue-table tbody tr').count();
		check(`demo run ${n}: the page shows the queue with the printed reviewer token`, rows > 0, rows);
		if (n === 1) await cleanDrafts(url, field('admin token').trim());
		check(`demo run ${n}: the page fetched nothing from elsewhere`,
			foreignRequests(b, url).length === 0, foreignRequests(b, url).join(' '));
	} catch (e) {
		notOk(`demo run ${n}: page`, e.message);
	} finally {
		await b.close();
	}
	child.kill('SIGINT');
	const end = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 90000))]);
	check(`demo run ${n}: SIGINT stops it (exit 0)`, end && end.code === 0, JSON.stringify(end) + out.slice(-500));
	const left = pids.filter(alive);
	check(`demo run ${n}: nothing it started is left running (${pids.length} pids)`,
		pids.length >= 4 && left.length === 0, 'alive: ' + left.join(' '));
	check(`demo run ${n}: its temp dir is gone`, tmp && !existsSync(tmp), tmp);
}

for (let i = 1; i <= runs; i++) await once(i);
process.exit(failed() ? 1 : 0);
