// Statistics per category and per reviewer, with a small inline SVG chart
// (no chart library, nothing fetched from elsewhere).

import {api} from './api.js';
import {h, replace, svg} from './dom.js';
import {age, num, pct} from './format.js';

function rate(s) {
	return s.reviewed ? (s.approved_unchanged || 0) / s.reviewed : null;
}

// Stacked horizontal bars: approved unchanged / edited / rejected / pending.
function chart(rows) {
	const parts = [['approved_unchanged', 'unchanged'], ['approved_edited', 'edited'],
		       ['rejected', 'rejected'], ['pending', 'pending']];
	const max = Math.max(1, ...rows.map((r) => parts.reduce((a, [k]) => a + (r[k] || 0), 0)));
	const W = 640, L = 150, R = 60, bar = 18, gap = 8, top = 24;
	const H = top + rows.length * (bar + gap) + 10;
	const g = [];
	parts.forEach(([, label], i) => {
		g.push(svg('rect', {x: L + i * 110, y: 4, width: 12, height: 12, class: 'seg-' + label}),
			svg('text', {x: L + i * 110 + 16, y: 14, class: 'legend'}, label));
	});
	rows.forEach((r, i) => {
		const y = top + i * (bar + gap);
		let x = L;
		g.push(svg('text', {x: L - 6, y: y + bar - 5, 'text-anchor': 'end', class: 'label'},
			r.category || '(none)'));
		for (const [k, label] of parts) {
			const w = ((r[k] || 0) / max) * (W - L - R);
			if (w > 0) {
				g.push(svg('rect', {x, y, width: w.toFixed(1), height: bar, class: 'seg-' + label},
					svg('title', {}, label + ': ' + r[k])));
			}
			x += w;
		}
		g.push(svg('text', {x: x + 4, y: y + bar - 5, class: 'label'}, pct(rate(r))));
	});
	return svg('svg', {viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
		class: 'chart', 'aria-label': 'Decisions per category'}, ...g);
}

function table(rows, key, label) {
	return h('table.stats',
		h('thead', h('tr', h('th', label), key === 'category' ? h('th.num', 'Drafted') : null,
			h('th.num', 'Reviewed'), h('th.num', 'Unchanged'), h('th.num', 'Edited'),
			h('th.num', 'Rejected'), h('th.num', 'Unchanged rate'), h('th.num', 'Mean edit distance'),
			h('th.num', 'Median time to decision'))),
		h('tbody', rows.map((r) => h('tr', h('td', r[key] || '(none)'),
			key === 'category' ? h('td.num', String(r.drafted || 0)) : null,
			h('td.num', String(r.reviewed || 0)), h('td.num', String(r.approved_unchanged || 0)),
			h('td.num', String(r.approved_edited || 0)), h('td.num', String(r.rejected || 0)),
			h('td.num', pct(rate(r), 1)), h('td.num', num(r.mean_edit_distance, 3)),
			h('td.num', r.median_decision_seconds === null || r.median_decision_seconds === undefined
				? '–' : age(r.median_decision_seconds))))));
}

export function mountStats(root) {
	let alive = true;
	const body = h('div#stats');
	root.append(h('div.toolbar', h('h1', 'Statistics')), body);
	(async () => {
		try {
			const s = await api.stats();
			if (!alive) return;
			const cats = s.categories || [];
			const revs = s.reviewers || [];
			replace(body,
				h('h2', 'Per category'), cats.length ? chart(cats) : null,
				cats.length ? table(cats, 'category', 'Category') : h('p.muted', 'No drafts yet.'),
				h('p.muted', '"Unchanged" means an edit distance of at most ' +
					num(s.unchanged_threshold ?? 0.05, 2) + ' between the draft and what was sent.'),
				h('h2', 'Per reviewer'),
				revs.length ? table(revs, 'reviewer', 'Reviewer') : h('p.muted', 'No decisions yet.'));
		} catch (e) {
			if (alive) replace(body, h('p.error', e.message));
		}
	})();
	return {unmount() { alive = false; }, onKey: () => false};
}
