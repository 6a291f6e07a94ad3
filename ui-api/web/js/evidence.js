// SPDX-License-Identifier: MIT
// The evidence around a draft, all as inert text: the customer's message
// (also the "Needs a human" message view), the facts with their fetch time,
// the rules that fired and the guardrail flags.

import {h} from './dom.js';
import {ageSince, flagWords, num, when} from './format.js';

const HEADER_ROWS = [['from', 'From'], ['reply_to', 'Reply-To'], ['to', 'To'], ['cc', 'Cc'],
		     ['date', 'Date'], ['subject', 'Subject'], ['message_id', 'Message-ID']];

export function valueText(v) {
	if (v === null || v === undefined) return '–';
	if (typeof v === 'object') return JSON.stringify(v);
	// 466.20000000000005 is float noise from a sum, not a price
	if (typeof v === 'number' && !Number.isInteger(v)) return String(Math.round(v * 1e4) / 1e4);
	return String(v);
}

// The original message as inert text (also used by the needs-a-human view).
export function messagePane(m) {
	const hdrs = m.headers || {};
	const flags = Object.entries(m.flags || {}).filter(([, v]) => v === true).map(([k]) => k);
	const atts = Array.isArray(m.attachments) ? m.attachments : [];
	return h('section.pane.message',
		h('h2', 'Original message'),
		h('table.headers', h('tbody', HEADER_ROWS.filter(([k]) => hdrs[k]).map(([k, label]) =>
			h('tr', h('th', label), h('td', valueText(hdrs[k])))))),
		flags.length ? h('ul.flags', flags.map((f) => h('li.flag', {title: flagWords(f).words},
			flagWords(f).words))) : null,
		h('pre.mailtext#message-text', m.text || '(no text part)'),
		m.quoted_text ? h('details.quoted', h('summary', 'Quoted history'),
			h('pre.mailtext', m.quoted_text)) : null,
		h('h3', 'Attachments'),
		atts.length ? h('ul.attachments', atts.map((a) => h('li',
			typeof a === 'string' ? a : [
				h('span.att-name', a.filename || a.name || '(unnamed)'), ' ',
				h('span.att-type', a.content_type || a.type || ''), ' ',
				a.size !== undefined ? h('span.att-size', num(a.size / 1024, 1) + ' KiB') : null,
			]))) : h('p.muted', 'none'),
		h('p.muted', 'Shown as plain text. Links, images and HTML in the message are never loaded.'));
}

// One small table per looked-up key (field / value rows): facts have many
// columns and the pane is narrow.
export function factsBlock(facts) {
	const out = [];
	const skip = ['key', 'found', 'fetched_at', 'connector'];
	for (const [source, list] of Object.entries(facts || {})) {
		if (Array.isArray(list)) {
			for (const f of list) {
				const state = f.found === null ? 'unknown (the connector failed)'
					: f.found === false ? 'not found' : 'found';
				out.push(h('table.facts', {class: f.found === null ? 'unknown'
					: f.found === false ? 'missing' : ''},
					h('caption', source + ' ' + valueText(f.key) + ': ' + state),
					h('tbody', Object.entries(f).filter(([k]) => !skip.includes(k)).map(([k, v]) =>
						h('tr', h('th', k), h('td', valueText(v)))),
						h('tr.fetched', h('th', 'fetched'), h('td', f.fetched_at
							? when(f.fetched_at) + ' (' + ageSince(f.fetched_at) + ' ago)'
							: '–', f.connector ? ' from ' + f.connector : '')))));
			}
		} else if (list && typeof list === 'object') {
			out.push(h('table.facts', h('caption', source), h('tbody', Object.entries(list).map(
				([k, v]) => h('tr', h('th', k), h('td', valueText(v)))))));
		}
	}
	return out.length ? out : [h('p.muted', 'No facts were looked up for this message.')];
}

export function rulesBlock(hits) {
	let fired = hits;
	let extra = null;
	if (hits && !Array.isArray(hits)) {
		fired = hits.fired || [];
		extra = hits.outcome ? 'Outcome: ' + hits.outcome + (hits.never_auto ? ' (never auto)' : '') : null;
	}
	if (!fired || !fired.length) return [extra ? h('p', extra) : null, h('p.muted', 'No rule fired.')];
	return [extra ? h('p', extra) : null, h('ul.rules', fired.map((r) => h('li',
		typeof r === 'string' ? r : [h('b', r.id || ''), ' ', r.name || r.description || '',
			Array.isArray(r.actions) ? h('span.muted', ' → ' + r.actions.map((a) =>
				typeof a === 'string' ? a : [a.action, a.category, a.note,
					(a.phrases || []).join(', ')].filter(Boolean).join(': ')).join('; ')) : null])))];
}

export function flagsBlock(d) {
	const flags = (Array.isArray(d.guardrail_flags) ? d.guardrail_flags : []).slice();
	const mf = (d.message && d.message.flags) || {};
	const named = flags.some((f) => /injection/.test(flagWords(f).code));
	if (mf.injection_suspect && !named) flags.unshift('injection_suspect');
	if (!flags.length) return [h('p.ok', 'All guardrail checks passed.')];
	return [h('ul.guardflags', flags.map((f) => {
		const w = flagWords(f);
		return h('li', h('code', w.code), ' ', w.words);
	}))];
}
