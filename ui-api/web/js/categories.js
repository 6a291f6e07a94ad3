// Categories (admins change modes): each mode switch sits next to the
// evidence for it, and a change asks for confirmation first. The API audits
// every change.

import {api} from './api.js';
import {h, replace} from './dom.js';
import {CATEGORY_MODES, MODE_WORDS, num, pct, wilsonLower} from './format.js';

// The promotion evidence of one category from /stats (and /categories when
// the API adds its own numbers there).
export function evidence(cat, st) {
	const s = st || {};
	const reviewed = s.reviewed || 0;
	const unchanged = s.approved_unchanged || 0;
	const rate = reviewed ? unchanged / reviewed : null;
	const lower = s.unchanged_lower_bound ?? s.wilson_lower ?? cat.unchanged_lower_bound ??
		(reviewed ? wilsonLower(unchanged, reviewed) : null);
	const minSamples = cat.min_samples ?? 50;
	const target = cat.target_rate ?? 0.95;
	const eligible = cat.eligible ?? s.eligible ?? (reviewed >= minSamples && lower !== null && lower >= target);
	return {reviewed, unchanged, edited: s.approved_edited || 0, rejected: s.rejected || 0,
		rate, lower, minSamples, target, eligible, drafted: s.drafted || 0,
		reasons: s.rejection_reasons || cat.rejection_reasons || null,
		shadow: s.shadow || cat.shadow || null};
}

function reasonsList(reasons) {
	if (!reasons) return h('span.muted', 'not reported by the API');
	const list = Array.isArray(reasons) ? reasons
		: Object.entries(reasons).map(([reason, count]) => ({reason, count}));
	if (!list.length) return h('span.muted', 'none');
	return h('ul.reasons', list.slice(0, 5).map((r) => h('li',
		typeof r === 'string' ? r : (r.reason || '') + (r.count !== undefined ? ' ×' + r.count : ''))));
}

function shadowText(sh) {
	if (!sh) return h('span.muted', 'no shadow results');
	if (typeof sh !== 'object') return String(sh);
	const would = sh.would_auto_send ?? sh.would_send ?? sh.would_have_sent;
	const total = sh.total ?? sh.drafts ?? sh.count;
	const agreed = sh.approved_unchanged ?? sh.agreed;
	return [would !== undefined ? would + ' would have been sent automatically' : '',
		total !== undefined ? ' of ' + total : '',
		agreed !== undefined ? '; ' + agreed + ' of those approved unchanged' : ''].join('') ||
		JSON.stringify(sh);
}

export function mountCategories(root, ctx) {
	let alive = true;
	const isAdmin = ctx.session.role === 'admin';
	const body = h('div.cards#categories');
	root.append(h('div.toolbar', h('h1', 'Categories')),
		h('p.muted', isAdmin
			? 'Promote a category only when its evidence clears the target. Every change is audited.'
			: 'Only admins can change modes; reviewers see the evidence.'),
		body);

	async function setMode(cat, mode, ev, select) {
		const ok = await ctx.confirmDialog('Change mode of ' + cat.name,
			h('div', h('p', cat.mode + ' → ' + mode + ': ' + MODE_WORDS[mode] + '.'),
				h('p', 'Evidence: ' + ev.reviewed + ' reviewed, ' + pct(ev.rate, 1) +
					' approved unchanged (lower bound ' + pct(ev.lower, 1) + ', target ' +
					pct(ev.target, 0) + ' over at least ' + ev.minSamples + ').'),
				mode === 'auto' && !ev.eligible
					? h('p.error', 'This category is NOT eligible for automatic replies yet.') : null),
			'Set ' + mode);
		if (!ok) {
			select.value = cat.mode;
			return;
		}
		try {
			await api.putCategory(cat.name, {mode});
			ctx.notice(cat.name + ' is now ' + mode + '.', 'ok');
		} catch (e) {
			select.value = cat.mode;
			ctx.notice('Not changed: ' + (e.status === 403 ? 'admins only' : e.message), 'error');
		}
		load();
	}

	function card(cat, st) {
		const ev = evidence(cat, st);
		const select = h('select.mode', {id: 'mode-' + cat.name, disabled: !isAdmin,
			dataset: {category: cat.name}, title: isAdmin ? 'Mode' : 'admins only'},
			CATEGORY_MODES.map((m) => h('option', {value: m, selected: m === cat.mode}, m)));
		select.addEventListener('change', () => setMode(cat, select.value, ev, select));
		return h('article.card', {dataset: {category: cat.name}},
			h('header', h('h2', cat.name), h('label', 'mode ', select),
				h('span.badge', {class: ev.eligible ? 'eligible' : 'not-eligible'},
					ev.eligible ? 'eligible for promotion' : 'not eligible')),
			h('p.muted', MODE_WORDS[cat.mode] || ''),
			h('dl.evidence',
				h('dt', 'Drafted'), h('dd', String(ev.drafted)),
				h('dt', 'Reviewed'), h('dd', ev.reviewed + ' (need ' + ev.minSamples + ')'),
				h('dt', 'Approved unchanged'), h('dd', ev.unchanged + ' · ' + pct(ev.rate, 1)),
				h('dt', 'Lower bound (95%)'), h('dd', pct(ev.lower, 1) + ' vs target ' + pct(ev.target, 0)),
				h('dt', 'Edited / rejected'), h('dd', ev.edited + ' / ' + ev.rejected),
				h('dt', 'Rejection reasons'), h('dd', reasonsList(ev.reasons)),
				h('dt', 'Shadow mode'), h('dd', shadowText(ev.shadow)),
				h('dt', 'Threshold'), h('dd', num(cat.threshold)),
				h('dt', 'Changed'), h('dd', (cat.updated_by || '–') + (cat.updated_at ? ' · ' +
					new Date(cat.updated_at).toLocaleString() : ''))));
	}

	async function load() {
		try {
			const [c, s] = await Promise.all([api.categories(), api.stats().catch(() => ({}))]);
			if (!alive) return;
			const byName = new Map((s.categories || []).map((x) => [x.category, x]));
			replace(body, (c.categories || []).map((cat) => card(cat, byName.get(cat.name))));
		} catch (e) {
			if (alive) replace(body, h('p.error', e.message));
		}
	}
	load();
	return {unmount() { alive = false; }, onKey: () => false};
}
