// SPDX-License-Identifier: MIT
// The queue as this page last saw it, kept while the reviewer is in a
// draft, so that going back draws the list at once and refreshes it in the
// background (stale-while-revalidate). What the page learns about a draft
// after a list was asked for (its own approve or reject, a draft view that
// saw it approved, rejected or replaced by someone else) wins over that
// list: a row decided meanwhile never comes back as actionable, neither
// from the kept list nor from an answer that was already on its way.

const LIVE = ['pending', 'claimed'];
// what the page learned stays this long; every list asked for later
// carries the server's word on it anyway
const LEARNT_MS = 10 * 60 * 1000;

// filters -> {rows, next, askedAt, selected}: the last few lists shown
// (switching the order back and forth draws at once too)
const kept = new Map();
const KEPT_LISTS = 4;
let last = null; // the key of the list shown last
const learnt = new Map(); // draft id -> {status, at (performance.now())}

export function filterKey(f) {
	return JSON.stringify([f.status, f.category, f.mailbox, f.q, f.assigned, f.order]);
}

// Whether a draft in status fits the queue's status filter ('' any,
// 'open' pending or claimed, or one status).
function fits(filter, status) {
	if (!filter) return true;
	if (filter === 'open') return LIVE.includes(status);
	return filter === status;
}

// Rows from an answer to a list asked for at askedAt, with what the page
// learned since applied: a row whose draft was decided is dropped when the
// filter no longer takes it, else shown in its new status.
export function reconcile(rows, askedAt, statusFilter) {
	const now = performance.now();
	const out = [];
	for (const r of rows) {
		const l = learnt.get(String(r.id));
		if (l && now - l.at > LEARNT_MS) learnt.delete(String(r.id));
		if (!l || l.at < askedAt || l.status === r.status) {
			out.push(r);
			continue;
		}
		if (!fits(statusFilter, l.status)) continue;
		out.push({...r, status: l.status, claimed_by: LIVE.includes(l.status) ? r.claimed_by : null});
	}
	return out;
}

// Keeps the list shown for filters f, as the server answered a request
// sent at askedAt (performance.now()).
export function keep(f, rows, next, askedAt) {
	const key = filterKey(f);
	const was = kept.get(key);
	kept.delete(key);
	kept.set(key, {rows, next, askedAt, selected: was ? was.selected : null});
	while (kept.size > KEPT_LISTS) kept.delete(kept.keys().next().value);
	last = key;
}

// The selected row and its place, so that the way back lands there (or on
// the row that took its place when it was decided meanwhile).
export function keepSelected(f, id, index) {
	const k = kept.get(filterKey(f));
	if (k) k.selected = {id, index};
}

// The kept list for filters f (learned decisions applied) with the row
// that was selected, or null.
export function keptList(f) {
	const k = kept.get(filterKey(f));
	if (!k) return null;
	return {rows: reconcile(k.rows, k.askedAt, f.status), next: k.next, selected: k.selected,
		askedAt: k.askedAt};
}

// The kept row of draft id (any filters), or null: the draft view starts
// the message's panes with its message_id before the draft itself arrives.
export function keptRow(id) {
	const k = last && kept.get(last);
	return (k && k.rows.find((r) => String(r.id) === String(id))) || null;
}

// The page learned draft id's status now (a decision it made, or a load).
export function learn(id, status) {
	if (id === undefined || id === null || !status) return;
	learnt.set(String(id), {status, at: performance.now()});
}

// The selected row's draft, asked for while the reviewer reads the row, so
// that Enter shows it at once (the draft view asks again right after). At
// most one request in flight: moving on while it runs asks for the row
// selected when it ends. An answer is used once, and only while fresh.
const PREFETCH_MS = 15000;
let prefetched = null; // {id, at, answer (a promise)}
let prefetchBusy = false;
let prefetchWanted = null;

export function prefetchDraft(id, ask) {
	prefetchWanted = id === null || id === undefined ? null : String(id);
	if (prefetchBusy || prefetchWanted === null) return;
	if (prefetched && prefetched.id === prefetchWanted && performance.now() - prefetched.at < PREFETCH_MS) {
		return;
	}
	const want = prefetchWanted;
	prefetchBusy = true;
	const answer = ask(want);
	prefetched = {id: want, at: performance.now(), answer};
	answer.catch(() => {
		if (prefetched && prefetched.answer === answer) prefetched = null;
	}).finally(() => {
		prefetchBusy = false;
		if (prefetchWanted !== want) prefetchDraft(prefetchWanted, ask);
	});
}

// The prefetched answer for draft id (a promise), or null; taken once.
export function takePrefetched(id) {
	const p = prefetched;
	if (!p || p.id !== String(id) || performance.now() - p.at > PREFETCH_MS) return null;
	prefetched = null;
	return p.answer;
}
