// SPDX-License-Identifier: MIT
// The reviewer page's interactions, timed in Chromium with the Performance
// API (performance.mark / performance.measure), for `make bench`
// (tests/bench/fig_browser.py: the p95 of each is a figure with the target
// p95 <= 100 ms). A measurement, never a test: nothing here fails on time.
//   node perf.mjs BASE_URL TOKEN OUT.json
// writes {"interactions": {"NAME": [ms, ...]}}. Each interaction starts at
// the event a person causes (a key press, a changed select) and ends at the
// first animation frame after the page shows its result:
//   open queue       #/queue from another view until its rows are drawn
//   next row (j)     j in the queue until the next row is selected
//   open draft       Enter on the selected row until the draft's text is in the editor
//   back to queue    Escape in a draft until the queue's rows are drawn
//   change order     the order select until the first row is another one
//   open categories  #/categories until the cards (with GET /stats?days=1) are drawn
//   open stats       #/stats until the figures of GET /stats (30 days) are drawn
// BENCH_PAGE_ROUNDS (default 15) rounds of each; an interaction that takes
// over 15 s is recorded as 15 s.
import {writeFileSync} from 'node:fs';
import {browser, login} from './lib.mjs';

const [base, token, out] = process.argv.slice(2);
const rounds = Number(process.env.BENCH_PAGE_ROUNDS || 15);
const result = {interactions: {}};

// In the page: starts interaction `name` (with arg), waits for its result
// (checked each frame, at most 15 s), then one more frame, and returns the
// measure's duration in ms, or null on timeout. Triggers and checks live in
// here, as code of the page's own: its CSP allows no eval.
async function timed(page, name, arg) {
	return page.evaluate(async ([name, arg]) => {
		const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
		const key = (k) => document.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true}));
		const rows = () => document.querySelector('.view-queue #queue-table tbody tr[data-id]');
		const selected = () => document.querySelector('#queue-table tbody tr.selected');
		const orderSelect = () => [...document.querySelectorAll('.view-queue select')]
			.find((s) => [...s.options].some((o) => o.value === 'newest'));
		const steps = {
			'open queue': [() => (window.location.hash = '#/queue'), () => !!rows()],
			'open categories': [() => (window.location.hash = '#/categories'),
				() => !!document.querySelector('.view-categories select.mode')],
			'open stats': [() => (window.location.hash = '#/stats'),
				() => !!document.querySelector('.view-stats #stats-speed')],
			'next row (j)': [() => key('j'), () => !!selected() && selected().dataset.id !== arg],
			'open draft': [() => key('Enter'), () => {
				const body = document.querySelector('#d-body');
				return window.location.hash === '#/draft/' + arg && !!body && body.value.length > 0;
			}],
			'back to queue': [() => key('Escape'), () => !!rows()],
			'change order': [() => {
				const s = orderSelect();
				s.value = s.value === 'newest' ? 'oldest' : 'newest';
				s.dispatchEvent(new Event('change', {bubbles: true}));
			}, () => !!rows() && rows().dataset.id !== arg],
		};
		const [trigger, ready] = steps[name];
		performance.clearMarks();
		performance.clearMeasures();
		performance.mark(name + ':start');
		trigger();
		const until = performance.now() + 15000;
		while (!ready()) {
			if (performance.now() > until) return null;
			await frame();
		}
		await frame();
		performance.mark(name + ':end');
		return performance.measure(name, name + ':start', name + ':end').duration;
	}, [name, arg]);
}

// A timeout counts as its 15 s (dropping it would flatter the p95).
const CAP_MS = 15000;
function record(name, ms) {
	const v = ms === null || ms === undefined ? CAP_MS : ms;
	(result.interactions[name] = result.interactions[name] || []).push(Math.round(v * 10) / 10);
}

const b = await browser();
let rc = 0;
try {
	const page = await b.ctx.newPage();
	await login(page, base, token);
	await page.waitForSelector('#queue-table tbody tr[data-id]', {timeout: 60000});
	const sel = () => page.getAttribute('#queue-table tbody tr.selected', 'data-id');
	for (let i = 0; i < rounds; i++) {
		try {
			record('open stats', await timed(page, 'open stats', null));
			record('open categories', await timed(page, 'open categories', null));
			record('open queue', await timed(page, 'open queue', null));
			await page.waitForSelector('#queue-table tbody tr.selected', {timeout: 60000});
			record('next row (j)', await timed(page, 'next row (j)', await sel()));
			record('open draft', await timed(page, 'open draft', await sel()));
			await page.evaluate(() => document.activeElement && document.activeElement.blur());
			record('back to queue', await timed(page, 'back to queue', null));
			await page.waitForSelector('#queue-table tbody tr[data-id]', {timeout: 60000});
			const first = await page.getAttribute('#queue-table tbody tr[data-id]', 'data-id');
			record('change order', await timed(page, 'change order', first));
		} catch (e) {
			// one round lost (the page stuck past a minute): say so, go on
			console.error('round ' + (i + 1) + ': ' + e.message.split('\n')[0]);
			await page.goto(base + '#/queue').catch(() => {});
		}
	}
	if (b.errors.length) console.error('script errors: ' + b.errors.join('; '));
} catch (e) {
	console.error(e.stack || e.message);
	rc = 1;
} finally {
	await b.close();
}
writeFileSync(out, JSON.stringify(result));
for (const [name, ms] of Object.entries(result.interactions)) {
	const s = [...ms].sort((x, y) => x - y);
	console.log(name + ': n=' + s.length + ' median ' + s[Math.floor(s.length / 2)] + ' ms, max ' +
		s[s.length - 1] + ' ms');
}
process.exit(rc);
