// SPDX-License-Identifier: MIT
// The reviewer page's interactions, timed in Chromium with the Performance
// API (performance.mark / performance.measure), for `make bench`
// (tests/bench/fig_browser.py: the p95 of each is a figure with the target
// p95 <= 100 ms). A measurement, never a test: nothing here fails on time.
//   node perf.mjs BASE_URL TOKEN OUT.json
// writes {"interactions": {"NAME": [ms, ...]}, "breakdown": {"NAME": {...}}}
// (the breakdown: the API requests each interaction made, from Resource
// Timing and draftd's Server-Timing header, and the page's time after
// them). Each interaction starts at the event a person causes (a key press, a changed select) and ends at the
// first animation frame after the page shows its result:
//   open queue       #/queue from another view until its rows are drawn
//   next row (j)     j in the queue until the next row is selected
//   open draft       Enter on the selected row until the draft's text is in the editor
//   back to queue    Escape in a draft until the queue's rows are drawn
//   change order     the order select until the first row is another one
//   open categories  #/categories until the cards (with GET /stats?days=1) are drawn
//   open stats       #/stats until the figures of GET /stats (30 days) are drawn
// BENCH_PAGE_ROUNDS (default 15) rounds of each; an interaction that takes
// over 15 s is recorded as 15 s. Before them, one round of every
// interaction is timed on its own as the first after start ("first":
// the API's pooled database connections open on first use and each new
// PostgreSQL backend reads its catalogs cold): a reviewer meets that once
// per daemon start, so it is reported beside the p95, not inside it.
import {writeFileSync} from 'node:fs';
import {browser, login} from './lib.mjs';

const [base, token, out] = process.argv.slice(2);
const rounds = Number(process.env.BENCH_PAGE_ROUNDS || 15);
const result = {interactions: {}, first: {}};

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
		performance.clearResourceTimings();
		performance.setResourceTimingBufferSize(1000);
		const t0 = performance.mark(name + ':start').startTime;
		trigger();
		const until = performance.now() + 15000;
		while (!ready()) {
			if (performance.now() > until) return null;
			await frame();
		}
		await frame();
		performance.mark(name + ':end');
		const ms = performance.measure(name, name + ':start', name + ':end').duration;
		// the API requests finished within the interaction: when each
		// started and ended (ms from the start), the server's own time
		// (Server-Timing app) and the JSON's size
		const reqs = performance.getEntriesByType('resource')
			.filter((e) => e.name.includes('/api/v1/') && e.startTime >= t0 && e.responseEnd <= t0 + ms)
			.map((e) => {
				const app = (e.serverTiming || []).find((x) => x.name === 'app');
				const u = new URL(e.name);
				// GET /stats by its parts: the Statistics page asks three at once
				const parts = u.pathname.endsWith('/stats') && u.searchParams.get('parts');
				return {path: u.pathname.replace(/^\/api\/v1/, '').replace(/\/\d+/g, '/{id}') +
					(parts ? '?parts=' + parts : ''),
					start: Math.round((e.startTime - t0) * 10) / 10,
					end: Math.round((e.responseEnd - t0) * 10) / 10,
					server: app ? Math.round(app.duration * 10) / 10 : null,
					bytes: e.decodedBodySize};
			});
		// the views' own render() (performance.measure 'render') within it
		const render = performance.getEntriesByName('render', 'measure')
			.filter((e) => e.startTime >= t0 && e.startTime <= t0 + ms)
			.reduce((t, e) => t + e.duration, 0);
		return {ms, reqs, render};
	}, [name, arg]);
}

// Where an interaction's time went, over its rounds (medians): requests,
// how many were in flight together at most, the server's time and bytes of
// the slowest request chain, and the time after the last response (the
// page's own work: parsing, building the DOM, layout, the frame).
function breakdown(rounds) {
	const med = (xs) => {
		const s = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
		return s.length ? s[Math.floor(s.length / 2)] : null;
	};
	const per = rounds.map((r) => {
		const q = r.reqs;
		let par = 0;
		for (const a of q) par = Math.max(par, q.filter((b) => b.start < a.end && a.start < b.end).length);
		const lastEnd = q.length ? Math.max(...q.map((x) => x.end)) : 0;
		return {n: q.length, par, server: q.reduce((t, x) => t + (x.server || 0), 0),
			network: q.reduce((t, x) => t + (x.end - x.start), 0),
			bytes: q.reduce((t, x) => t + (x.bytes || 0), 0), firstReq: q.length ? Math.min(...q.map((x) => x.start)) : null,
			lastEnd, after: r.ms - lastEnd, render: r.render};
	});
	const out = {};
	for (const k of ['n', 'par', 'server', 'network', 'bytes', 'firstReq', 'lastEnd', 'after', 'render']) {
		out[k] = med(per.map((x) => x[k]));
	}
	const paths = {};
	for (const r of rounds) {
		for (const x of r.reqs) {
			const p = (paths[x.path] = paths[x.path] || {server: [], total: [], bytes: []});
			p.server.push(x.server);
			p.total.push(x.end - x.start);
			p.bytes.push(x.bytes);
		}
	}
	out.paths = Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, {count: v.server.length,
		server: med(v.server), total: med(v.total), bytes: med(v.bytes)}]));
	return out;
}

// A timeout counts as its 15 s (dropping it would flatter the p95).
const CAP_MS = 15000;
const detail = {};
let warming = true; /* the first round goes to result.first */
function record(name, got) {
	const v = Math.round((got === null || got === undefined ? CAP_MS : got.ms) * 10) / 10;
	if (warming) {
		result.first[name] = v;
		return;
	}
	(result.interactions[name] = result.interactions[name] || []).push(v);
	if (got) (detail[name] = detail[name] || []).push(got);
}

const b = await browser();
let rc = 0;
try {
	const page = await b.ctx.newPage();
	await login(page, base, token);
	await page.waitForSelector('#queue-table tbody tr[data-id]', {timeout: 60000});
	const sel = () => page.getAttribute('#queue-table tbody tr.selected', 'data-id');
	for (let i = -1; i < rounds; i++) {
		warming = i < 0;
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
			console.error((warming ? 'first round' : 'round ' + (i + 1)) + ': ' + e.message.split('\n')[0]);
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
result.breakdown = Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, breakdown(v)]));
writeFileSync(out, JSON.stringify(result));
console.log('first after start: ' + Object.entries(result.first).map(([k, v]) => k + ' ' + v + ' ms').join(', '));
for (const [name, ms] of Object.entries(result.interactions)) {
	const s = [...ms].sort((x, y) => x - y);
	const b = result.breakdown[name] || {};
	console.log(name + ': n=' + s.length + ' median ' + s[Math.floor(s.length / 2)] + ' ms, max ' +
		s[s.length - 1] + ' ms; medians: ' + b.n + ' requests (' + b.par + ' at once), first sent at ' +
		b.firstReq + ' ms, last answer at ' + b.lastEnd + ' ms, server ' + b.server + ' ms, ' + b.bytes +
		' bytes, page work after it ' + (b.after === null ? '-' : Math.round(b.after)) + ' ms (render() ' +
		(b.render === null ? '-' : Math.round(b.render * 10) / 10) + ' ms)');
	for (const [p, x] of Object.entries(b.paths || {})) {
		console.log('    ' + p + ': ' + x.count + 'x, server ' + x.server + ' ms, request ' +
			Math.round(x.total) + ' ms, ' + x.bytes + ' bytes');
	}
}
process.exit(rc);
