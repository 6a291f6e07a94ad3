// SPDX-License-Identifier: MIT
// Categories (admins change modes): each mode switch sits next to the
// evidence for it, and a change asks for confirmation first. The API audits
// every change.

import {api} from './api.js';
import {h, replace} from './dom.js';
import {CATEGORY_MODES, MODE_WORDS, num, pct} from './format.js';

// The promotion evidence of one category, as /stats computes it over
// [agent] stats_window (the page does no arithmetic of its own).
export function evidence(cat, st) {
	const s = st || {};
	const w = s.window || {};
	return {reviewed: w.reviewed || 0, unchanged: w.approved_unchanged || 0,
		edited: w.approved_edited || 0, rejected: w.rejected || 0,
		wrong: w.rejected_wrong || 0, rate: s.unchanged_rate ?? null,
		lower: s.unchanged_lower_bound ?? null, minSamples: s.min_samples ?? cat.min_samples,
		target: s.target_rate ?? cat.target_rate, eligible: !!s.eligible,
		why: s.not_eligible_because || null, neverAuto: !!s.never_auto,
		drafted: w.drafted || 0, reasons: s.rejection_reasons || {},
		shadow: s.shadow || null, samples: s.samples || null,
		demoted: s.demoted_at ? {at: s.demoted_at, reason: s.demote_reason} : null};
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
	if (!sh || !sh.drafts) return h('span.muted', 'no shadow results');
	return sh.would_auto + ' of ' + sh.drafts + ' would have been sent automatically; of ' +
		sh.would_auto_reviewed + ' reviewed: ' + sh.agreed + ' approved unchanged, ' +
		sh.edited + ' edited, ' + sh.rejected + ' rejected';
}

function samplesText(sa) {
	if (!sa || !sa.sampled) return h('span.muted', 'none');
	return sa.sampled + ' sampled: ' + sa.fine + ' fine, ' + sa.bad + ' bad';
}

// The post-send review list: sampled automatic replies, each judged once.
function samplesView(ctx, reload) {
	const box = h('section.samples#samples', h('h2', 'Post-send samples'));
	api.samples({pending: 'true'}).then((r) => {
		const list = r.samples || [];
		if (!list.length) {
			box.append(h('p.muted', 'No automatic reply waits for a post-send check.'));
			return;
		}
		box.append(h('ul.sample-list', list.map((sm) => {
			const judge = async (verdict) => {
				try {
					const res = await api.judgeSample(sm.id, {verdict});
					ctx.notice('Sample ' + sm.id + ' marked ' + verdict +
						(res.category_demoted ? ': ' + sm.category + ' is back in draft.' : '.'),
						verdict === 'bad' ? 'error' : 'ok');
				} catch (e) {
					ctx.notice('Not recorded: ' + e.message, 'error');
				}
				reload();
			};
			const fine = h('button', {type: 'button', dataset: {sample: sm.id}}, 'fine');
			const bad = h('button.danger', {type: 'button', dataset: {sample: sm.id}}, 'bad');
			fine.addEventListener('click', () => judge('fine'));
			bad.addEventListener('click', () => judge('bad'));
			return h('li.sample', {dataset: {id: sm.id}},
				h('strong', sm.category + ' · ' + (sm.recipient || '')),
				h('span.muted', ' ' + (sm.sent_at ? new Date(sm.sent_at).toLocaleString() : 'not sent yet')),
				h('pre.body', sm.body || ''), fine, bad);
		})));
	}).catch((e) => box.append(h('p.error', e.message)));
	return box;
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
			ctx.notice('Not changed: ' + (e.status === 403 ? 'admins only' : e.code === 'never_auto'
				? cat.name + ' is never automatic' + (e.detail && e.detail.reason ? ' (' + e.detail.reason + ')' : '')
				: e.message), 'error');
		}
		load();
	}

	function card(cat, st) {
		const ev = evidence(cat, st);
		// never automatic (other, complaint, legal, never_auto = on, or its
		// rules): the server refuses auto with 409, so the page does not offer it
		const never = !!cat.never_auto || ev.neverAuto;
		const neverWhy = cat.never_auto_reason || (never ? 'never automatic' : '');
		const select = h('select.mode', {id: 'mode-' + cat.name, disabled: !isAdmin,
			dataset: {category: cat.name}, title: isAdmin ? 'Mode' : 'admins only'},
			CATEGORY_MODES.map((m) => h('option', {value: m, selected: m === cat.mode,
				disabled: never && m === 'auto' && cat.mode !== 'auto'},
			m)));
		select.addEventListener('change', () => setMode(cat, select.value, ev, select));
		return h('article.card', {dataset: {category: cat.name}},
			h('header', h('h2', cat.name), h('label', 'mode ', select),
				h('span.badge', {class: never ? 'never' : ev.eligible ? 'eligible' : 'not-eligible',
					title: neverWhy},
				never ? 'never automatic' : ev.eligible ? 'eligible for promotion' : 'not eligible')),
			never ? h('p.never-why', 'Never automatic: ' + neverWhy + '.') : null,
			h('p.muted', MODE_WORDS[cat.mode] || ''),
			h('dl.evidence',
				h('dt', 'Drafted'), h('dd', String(ev.drafted)),
				h('dt', 'Reviewed'), h('dd', ev.reviewed + ' (need ' + ev.minSamples + ')'),
				h('dt', 'Approved unchanged'), h('dd', ev.unchanged + ' · ' + pct(ev.rate, 1)),
				h('dt', 'Lower bound (95%)'), h('dd', pct(ev.lower, 1) + ' vs target ' + pct(ev.target, 0)),
				h('dt', 'Edited / rejected'), h('dd', ev.edited + ' / ' + ev.rejected +
					(ev.wrong ? ' (' + ev.wrong + ' as wrong)' : '')),
				h('dt', 'Rejection reasons'), h('dd', reasonsList(ev.reasons)),
				h('dt', 'Shadow mode'), h('dd', shadowText(ev.shadow)),
				h('dt', 'Post-send samples'), h('dd', samplesText(ev.samples)),
				h('dt', 'Why not eligible'), h('dd', ev.why || '–'),
				h('dt', 'Last demotion'), h('dd', ev.demoted ? ev.demoted.reason + ' · ' +
					new Date(ev.demoted.at).toLocaleString() : '–'),
				h('dt', 'Threshold'), h('dd', num(cat.threshold)),
				h('dt', 'Defined by'), h('dd', {builtin: 'the built-in classifier', config: 'a [category] section',
					database: 'the database only'}[cat.source] || '–'),
				h('dt', 'Changed'), h('dd', (cat.updated_by || '–') + (cat.updated_at ? ' · ' +
					new Date(cat.updated_at).toLocaleString() : ''))));
	}

	// The kill switch (POST /auto): off holds every automatic reply back on
	// every instance, and only returns once none can be sent any more.
	async function toggleAuto(enabled) {
		const ok = await ctx.confirmDialog(enabled ? 'Switch automatic replies on'
			: 'Switch automatic replies off',
		h('p', enabled ? 'Categories in auto mode send replies without review again when every gate passes.'
			: 'Every category in auto mode behaves as review at once, on every instance, and unsent ' +
			  'automatic replies go back to the queue as pending drafts.'),
		enabled ? 'Switch on' : 'Switch off');
		if (!ok) return;
		try {
			const r = await api.setAuto(enabled);
			ctx.notice(r.enabled ? 'Automatic replies are on.' : 'Automatic replies are off' +
				(r.held_back ? '; ' + r.held_back + ' unsent automatic replies went back to review.' : '.'),
			'ok');
		} catch (e) {
			ctx.notice('Not switched: ' + (e.status === 403 ? 'admins only' : e.message), 'error');
		}
		load();
	}

	function switchLine(on) {
		return h('div.auto-switch',
			h('p', {class: on ? 'muted' : 'error', id: 'auto-switch'},
				on ? 'Automatic replies are on for categories in auto mode.'
					: 'Automatic replies are switched OFF for every category.'),
			isAdmin ? h('button#auto-toggle', {type: 'button', class: on ? 'danger' : 'primary',
				on: {click: () => toggleAuto(!on)}},
			on ? 'Switch automatic replies off' : 'Switch automatic replies on') : null);
	}

	async function load() {
		try {
			// only the promotion part: the rest of /stats reads the whole history
			const [c, s, a] = await Promise.all([api.categories(),
				api.stats({days: 1, parts: 'promotion'}).catch(() => ({})),
				api.autoSwitch().catch(() => ({}))]);
			if (!alive) return;
			const byName = new Map((s.categories || []).map((x) => [x.category, x]));
			const on = (a.enabled ?? s.auto_enabled) !== false;
			replace(body, switchLine(on),
				(c.categories || []).map((cat) => card(cat, byName.get(cat.name))),
				samplesView(ctx, load));
		} catch (e) {
			if (alive) replace(body, h('p.error', e.message));
		}
	}
	load();
	return {unmount() { alive = false; }, onKey: () => false};
}
