// SPDX-License-Identifier: MIT
// Statistics: the daily series of GET /stats?days=N as an inline SVG chart
// (drafts per day as bars, the approve-unchanged rate as a line on a 0-100%
// axis) for overall, one category or one reviewer, a table of the same days,
// and the totals per category and per reviewer under it. No chart library,
// nothing fetched from elsewhere; every label is a text node.

import {api} from './api.js';
import {h, replace, svg} from './dom.js';
import {age, num, pct} from './format.js';
import {backlogAsOf} from './states.js';

const DAY_CHOICES = [7, 30, 90];

function rate(s) {
	return s.reviewed ? (s.approved_unchanged || 0) / s.reviewed : null;
}

function seconds(x) {
	return x === null || x === undefined ? '–' : age(x);
}

// The series the selector offers: [{key, label, days, reviewer}].
function seriesList(series) {
	if (!series) return [];
	const list = [{key: 'overall', label: 'Overall', days: series.overall || [], reviewer: false}];
	for (const c of series.categories || []) {
		list.push({key: 'category:' + (c.category ?? ''), label: 'Category: ' + (c.category ?? '(none)'),
			days: c.days || [], reviewer: false});
	}
	for (const r of series.reviewers || []) {
		list.push({key: 'reviewer:' + r.reviewer, label: 'Reviewer: ' + r.reviewer,
			days: r.days || [], reviewer: true});
	}
	return list;
}

// A round top for the count axis: 4 integer steps.
function countTop(max) {
	const step = Math.max(1, Math.ceil(max / 4));
	return step * 4;
}

// Bars: drafts per day (decisions per day for a reviewer, who creates no
// drafts); line: approved unchanged / reviewed, drawn through the days that
// had decisions, each with a dot.
function seriesChart(sel) {
	const days = sel.days;
	const metric = sel.reviewer ? 'reviewed' : 'drafts';
	const noun = sel.reviewer ? 'decisions' : 'drafts';
	const W = 760, H = 270, L = 44, R = 48, T = 30, B = 36;
	const pw = W - L - R, ph = H - T - B;
	const n = Math.max(1, days.length);
	const slot = pw / n;
	const top = countTop(Math.max(0, ...days.map((d) => d[metric] || 0)));
	const y = (v) => T + ph - (v / top) * ph;
	const yr = (r) => T + ph - r * ph;
	const g = [];

	// legend
	g.push(svg('rect', {x: L, y: 8, width: 12, height: 12, class: 'swatch'}),
		svg('text', {x: L + 16, y: 18, class: 'legend'}, noun + ' per day'),
		svg('line', {x1: L + 150, y1: 14, x2: L + 170, y2: 14, class: 'rate-line'}),
		svg('text', {x: L + 176, y: 18, class: 'legend'}, 'approved unchanged (% of decisions)'));
	// grid and the two axes
	for (let i = 0; i <= 4; i++) {
		const v = (top / 4) * i;
		g.push(svg('line', {x1: L, y1: y(v), x2: L + pw, y2: y(v), class: i ? 'grid' : 'axis'}),
			svg('text', {x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis-label'}, String(v)),
			svg('text', {x: L + pw + 6, y: y(v) + 4, class: 'axis-label rate-label'}, (25 * i) + '%'));
	}
	g.push(svg('line', {x1: L, y1: T, x2: L, y2: T + ph, class: 'axis'}),
		svg('line', {x1: L + pw, y1: T, x2: L + pw, y2: T + ph, class: 'axis'}));
	// one bar per day (a quiet day has a zero-height bar), dates under some
	const every = Math.ceil(n / 10);
	const bw = Math.max(1, slot * 0.7);
	days.forEach((d, i) => {
		const v = d[metric] || 0;
		const x = L + i * slot + (slot - bw) / 2;
		g.push(svg('rect', {x: x.toFixed(1), y: y(v).toFixed(1), width: bw.toFixed(1),
			height: (T + ph - y(v)).toFixed(1), class: 'bar', 'data-day': d.day, 'data-value': v},
		svg('title', {}, d.day + ': ' + v + ' ' + noun + ', ' + (d.reviewed || 0) +
			' reviewed, ' + pct(d.unchanged_rate ?? rate(d)) + ' unchanged')));
		if ((n - 1 - i) % every === 0) {
			g.push(svg('text', {x: (L + i * slot + slot / 2).toFixed(1), y: T + ph + 16,
				'text-anchor': 'middle', class: 'axis-label'}, String(d.day).slice(5)));
		}
	});
	// the rate line and its dots
	const pts = [];
	days.forEach((d, i) => {
		const r = d.unchanged_rate ?? rate(d);
		if (r === null || r === undefined) return;
		const cx = L + i * slot + slot / 2;
		pts.push(cx.toFixed(1) + ',' + yr(r).toFixed(1));
		g.push(svg('circle', {cx: cx.toFixed(1), cy: yr(r).toFixed(1), r: 3, class: 'rate-point'},
			svg('title', {}, d.day + ': ' + pct(r, 1) + ' approved unchanged of ' +
				d.reviewed + ' decisions')));
	});
	if (pts.length > 1) g.push(svg('polyline', {points: pts.join(' '), class: 'rate-line'}));
	const total = days.reduce((a, d) => a + (d[metric] || 0), 0);
	return svg('svg', {id: 'series-chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H,
		role: 'img', class: 'chart series', 'data-series': sel.key, 'data-total': total,
		'aria-label': sel.label + ': ' + noun + ' per day and the approve-unchanged rate'}, ...g);
}

function seriesTable(sel) {
	const rows = sel.days.slice().reverse(); // newest first
	return h('table.stats#series-table',
		h('thead', h('tr', h('th', 'Day (UTC)'), sel.reviewer ? null : h('th.num', 'Drafts'),
			h('th.num', 'Reviewed'), h('th.num', 'Unchanged'), h('th.num', 'Edited'),
			h('th.num', 'Rejected'), h('th.num', 'Unchanged rate'),
			h('th.num', 'Mean edit distance'), h('th.num', 'Median time to decision'))),
		h('tbody', rows.map((d) => h('tr', {class: d.reviewed || d.drafts ? '' : 'quiet'},
			h('td', d.day), sel.reviewer ? null : h('td.num', String(d.drafts || 0)),
			h('td.num', String(d.reviewed || 0)), h('td.num', String(d.approved_unchanged || 0)),
			h('td.num', String(d.approved_edited || 0)), h('td.num', String(d.rejected || 0)),
			h('td.num', pct(d.unchanged_rate ?? rate(d), 1)), h('td.num', num(d.mean_edit_distance, 3)),
			h('td.num', seconds(d.median_decision_seconds))))));
}

function totalsTable(rows, key, label) {
	return h('table.stats',
		h('thead', h('tr', h('th', label), key === 'category' ? h('th.num', 'Drafted') : null,
			h('th.num', 'Reviewed'), h('th.num', 'Unchanged'), h('th.num', 'Edited'),
			h('th.num', 'Rejected'), h('th.num', 'Unchanged rate'), h('th.num', 'Mean edit distance'),
			h('th.num', 'Median time to decision'),
			key === 'category' ? h('th.num', {title: 'From arrival to the reply leaving the outbox'},
				'First response (median / p90)') : null)),
		h('tbody', rows.map((r) => h('tr', h('td', r[key] || '(none)'),
			key === 'category' ? h('td.num', String(r.drafted || 0)) : null,
			h('td.num', String(r.reviewed || 0)), h('td.num', String(r.approved_unchanged || 0)),
			h('td.num', String(r.approved_edited || 0)), h('td.num', String(r.rejected || 0)),
			h('td.num', pct(rate(r), 1)), h('td.num', num(r.mean_edit_distance, 3)),
			h('td.num', seconds(r.median_decision_seconds)),
			key === 'category' ? h('td.num', firstResponse(r.first_response)) : null))));
}

function firstResponse(fr) {
	if (!fr || !fr.replied) return '–';
	return seconds(fr.median_seconds) + ' / ' + seconds(fr.p90_seconds) + ' (' + fr.replied + ')';
}

// How fast people decide (GET /stats speed): time per decision is the gap
// since the same person's previous decision (longer gaps are breaks), per
// hour over the hours in which they decided anything.
function speedBlock(sp) {
	if (!sp) return null;
	const days = Math.round((sp.window_seconds || 0) / 86400);
	const row = (label, r) => h('tr', h('td', label), h('td.num', String(r.decisions || 0)),
		h('td.num', seconds(r.median_seconds_per_decision)), h('td.num', seconds(r.p90_seconds_per_decision)),
		h('td.num', num(r.decisions_per_hour, 1)), h('td.num', String(r.active_hours || 0)));
	return [h('h2', 'Speed'),
		h('p.muted', 'Last ' + days + ' days. Time per decision: since the same person\'s previous ' +
			'decision; a gap over ' + Math.round((sp.break_seconds || 900) / 60) + ' minutes is a break ' +
			'and not counted.'),
		h('table.stats#stats-speed',
			h('thead', h('tr', h('th', 'Reviewer'), h('th.num', 'Decisions'),
				h('th.num', 'Median time per decision'), h('th.num', '90th percentile'),
				h('th.num', 'Decisions per hour'), h('th.num', 'Active hours'))),
			h('tbody', (sp.reviewers || []).map((r) => row(r.reviewer, r)),
				sp.overall ? row('Everyone', sp.overall) : null))];
}

// The open messages now and how fast customers got their first reply.
function backlogBlock(s) {
	const b = s.backlog;
	if (!b) return null;
	const asOf = backlogAsOf(b);
	return [h('h2', 'Backlog'), asOf ? h('p.muted#stats-backlog-asof', 'Figures ' + asOf + '.') : null,
		h('dl.summary#stats-backlog',
		h('dt', 'Open messages'), h('dd', String(b.open) + ' (' + (b.review || 0) + ' in review, ' +
			(b.sending || 0) + ' being sent, ' + (b.drafting || 0) + ' being drafted, ' + (b.human || 0) +
			' under Needs a human)'),
		h('dt', 'Oldest open'), h('dd', b.oldest_open_age_seconds === null || b.oldest_open_age_seconds === undefined
			? '–' : seconds(b.oldest_open_age_seconds)),
		s.first_response ? [h('dt', 'First response'), h('dd', s.first_response.replied
			? 'median ' + seconds(s.first_response.median_seconds) + ', 90th percentile ' +
			  seconds(s.first_response.p90_seconds) + ' from arrival to the reply leaving, over ' +
			  s.first_response.replied + ' ' + (s.first_response.replied === 1 ? 'reply' : 'replies')
			: 'no reply in the window yet')] : null)];
}

export function mountStats(root) {
	let alive = true, data = null, choice = 'overall', days = 30, seq = 0;
	const pick = h('select#stats-series', {'aria-label': 'Series', on: {change: () => {
		choice = pick.value;
		draw();
	}}});
	const span = h('select#stats-days', {'aria-label': 'Days', on: {change: () => {
		days = Number(span.value) || 30;
		load();
	}}}, DAY_CHOICES.map((d) => h('option', {value: String(d), selected: d === days},
		'last ' + d + ' days')));
	const chartBox = h('div#series');
	const body = h('div#totals');
	root.append(h('div.toolbar', h('h1', 'Statistics'), pick, span), h('div#stats', chartBox, body));

	function draw() {
		const list = seriesList(data && data.series);
		if (!list.length) {
			replace(chartBox, h('p.muted', 'This draftd sends no daily series.'));
			return;
		}
		if (!list.some((s) => s.key === choice)) choice = 'overall';
		replace(pick, list.map((s) => h('option', {value: s.key, selected: s.key === choice}, s.label)));
		pick.value = choice;
		const sel = list.find((s) => s.key === choice);
		replace(chartBox, h('h2', sel.label + ', ' + data.series.from + ' to ' + data.series.to + ' (UTC)'),
			seriesChart(sel), seriesTable(sel));
	}

	async function load() {
		const mine = ++seq;
		try {
			// three requests at once, each on its own connection and database
			// connection on the server: the page waits for the slowest part,
			// not for the sum of them (the totals and the series read the
			// whole history)
			const [totals, series, rest] = await Promise.all([
				api.stats({parts: 'counts,promotion,first_response'}),
				api.stats({days, parts: 'series'}),
				api.stats({parts: 'backlog,speed,model'})]);
			if (!alive || mine !== seq) return;
			const s = {...rest, ...series, ...totals};
			data = s;
			draw();
			const cats = s.categories || [];
			const revs = s.reviewers || [];
			replace(body, backlogBlock(s), speedBlock(s.speed),
				h('h2', 'Totals per category'),
				cats.length ? totalsTable(cats, 'category', 'Category') : h('p.muted', 'No drafts yet.'),
				h('p.muted', '"Unchanged" means an edit distance of at most ' +
					num(s.unchanged_threshold ?? 0.05, 2) + ' between the draft and what was sent.'),
				h('h2', 'Totals per reviewer'),
				revs.length ? totalsTable(revs, 'reviewer', 'Reviewer') : h('p.muted', 'No decisions yet.'));
		} catch (e) {
			if (alive && mine === seq) replace(body, h('p.error', e.message));
		}
	}
	load();
	return {unmount() { alive = false; }, onKey: () => false};
}
