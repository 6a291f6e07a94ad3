// SPDX-License-Identifier: MIT
// A seeded model-based test of the page's kept queue (ui-api/web/js/
// queue_kept.js, issue 16 item 6) over random interleavings: list requests
// asked and answered in any order (only the latest asked is drawn, as
// queue.js does), this page's own decisions, a colleague's decisions and
// undos the page does not see, draft views that see a draft's status, and
// the way back to the kept list. The invariant: every drawn row shows the
// newest thing the page knows about its draft (the list's answer, or a
// decision or load the page saw after that list was asked for), so a draft
// the page knows is decided is never drawn as open. No browser needed.
//   node queue_kept_model.mjs            QUEUE_KEPT_SEEDS (default 300) seeds
//   SEED=n node queue_kept_model.mjs     replays one seed
let clock = 0;
Object.defineProperty(globalThis, 'performance', {value: {now: () => clock}, configurable: true,
	writable: true});
const {keep, keptList, learn, reconcile} = await import('../../ui-api/web/js/queue_kept.js');

const LIVE = ['pending', 'claimed'];
const F = {status: 'open', category: '', mailbox: '', q: '', assigned: '', order: 'oldest'};

// mulberry32: small, seedable, the same sequence everywhere
function rng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function run(seed, steps) {
	const r = rng(seed);
	const pick = (xs) => xs[Math.floor(r() * xs.length)];
	const server = new Map();
	for (let i = 1; i <= 8; i++) server.set(String(i), 'pending');
	const seen = []; // what the page learned: {id, status, t}
	const inFlight = []; // {seq, askedAt, rows}
	let asked = 0;
	let drawn = null; // {askedAt, rows (the answer), shown (after reconcile)}
	const log = [];
	const openRows = () => [...server].filter(([, s]) => LIVE.includes(s)).map(([id, status]) => ({id, status}));
	const tick = () => ++clock;

	// the model's own expectation for a list answered from rows asked at askedAt
	function expected(rows, askedAt) {
		const out = [];
		for (const row of rows) {
			const later = seen.filter((x) => x.id === row.id && x.t >= askedAt);
			const status = later.length ? later[later.length - 1].status : row.status;
			if (LIVE.includes(status)) out.push(row.id + ':' + status);
		}
		return out.join(',');
	}
	function check(shown, rows, askedAt, what) {
		const got = shown.map((x) => x.id + ':' + x.status).join(',');
		const want = expected(rows, askedAt);
		if (got !== want) {
			throw new Error('seed ' + seed + ', ' + what + ': drawn [' + got + '], the page knows [' + want +
				']\n  steps: ' + log.join('; '));
		}
	}
	function pageLearns(id, status) {
		tick();
		learn(id, status);
		seen.push({id, status, t: clock});
	}

	for (let step = 0; step < steps; step++) {
		const a = r();
		tick();
		if (a < 0.2) {
			// the queue asks; the server answers from its state now
			inFlight.push({seq: ++asked, askedAt: clock, rows: openRows()});
			log.push('ask#' + asked);
		} else if (a < 0.4 && inFlight.length) {
			const i = Math.floor(r() * inFlight.length);
			const ans = inFlight.splice(i, 1)[0];
			log.push('answer#' + ans.seq);
			if (ans.seq !== asked) continue; // an older request's answer is not drawn
			const shown = reconcile(ans.rows, ans.askedAt, F.status);
			keep(F, ans.rows, null, ans.askedAt);
			drawn = {askedAt: ans.askedAt, rows: ans.rows};
			check(shown, ans.rows, ans.askedAt, 'an answer drawn');
		} else if (a < 0.55) {
			const id = pick([...server.keys()]);
			if (!LIVE.includes(server.get(id))) continue;
			const status = pick(['approved', 'rejected']);
			server.set(id, status);
			pageLearns(id, status);
			log.push('page ' + status + ' ' + id);
		} else if (a < 0.7) {
			const id = pick([...server.keys()]);
			if (!LIVE.includes(server.get(id))) continue;
			server.set(id, pick(['approved', 'rejected', 'superseded']));
			log.push('colleague decides ' + id);
		} else if (a < 0.8) {
			const id = pick([...server.keys()]);
			if (server.get(id) !== 'approved') continue;
			server.set(id, 'pending');
			log.push('undo ' + id);
		} else if (a < 0.9) {
			const id = pick([...server.keys()]);
			pageLearns(id, server.get(id));
			log.push('draft view sees ' + id + ' ' + server.get(id));
		} else if (drawn) {
			// back to the queue: the kept list at once
			const k = keptList(F);
			log.push('back');
			check(k.rows, drawn.rows, drawn.askedAt, 'the kept list drawn');
		}
	}
}

const one = process.env.SEED;
const seeds = one ? [Number(one)] : Array.from({length: Number(process.env.QUEUE_KEPT_SEEDS || 300)},
	(_, i) => 1000 + i);
let failed = 0;
for (const seed of seeds) {
	try {
		run(seed, 80);
	} catch (e) {
		failed++;
		console.log('not ok - queue kept model: ' + e.message);
		console.log('#   replay: SEED=' + seed + ' node tests/browser/queue_kept_model.mjs');
		break;
	}
}
if (!failed) console.log('ok - queue kept model: ' + seeds.length + ' seeded runs of 80 steps, every drawn row shows the newest the page knows');
process.exit(failed ? 1 : 0);
