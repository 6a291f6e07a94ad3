// SPDX-License-Identifier: MIT
// Plain-words formatting shared by the views.

export function age(seconds) {
	if (seconds === undefined || seconds === null || isNaN(seconds)) return '';
	const s = Math.max(0, Math.floor(seconds));
	if (s < 60) return s + 's';
	if (s < 3600) return Math.floor(s / 60) + 'm';
	if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
	return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
}

// A timestamp as ms: ISO 8601 text, or Unix seconds (facts' fetched_at).
export function toMs(v) {
	if (typeof v === 'number') return v < 1e12 ? v * 1000 : v;
	if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return toMs(Number(v));
	return Date.parse(v);
}

export function ageSince(iso) {
	const t = toMs(iso);
	return isNaN(t) ? '' : age((Date.now() - t) / 1000);
}

// One formatter for the page: toLocaleString with options builds a new one
// on every call (about a millisecond each: a draft's panes call this
// hundreds of times).
const WHEN = new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'short'});

export function when(iso) {
	if (!iso) return '';
	const d = new Date(toMs(iso));
	if (isNaN(d)) return String(iso);
	return WHEN.format(d);
}

export function pct(x, digits = 0) {
	if (x === undefined || x === null || isNaN(x)) return '–';
	return (100 * x).toFixed(digits) + '%';
}

export function num(x, digits = 2) {
	if (x === undefined || x === null || isNaN(x)) return '–';
	return Number(x).toFixed(digits).replace(/\.?0+$/, '');
}

// Wilson score lower bound (95%) of successes out of n: the promotion
// evidence. The API may send its own; this fills in when it does not.
export function wilsonLower(successes, n, z = 1.96) {
	if (!n) return 0;
	const p = successes / n;
	const z2 = z * z;
	const centre = p + z2 / (2 * n);
	const margin = z * Math.sqrt((p * (1 - p) + z2 / (4 * n)) / n);
	return Math.max(0, (centre - margin) / (1 + z2 / n));
}

const FLAG_WORDS = {
	injection_suspect: 'The message looks like it tries to instruct the assistant (prompt injection). Check every sentence of the draft and the recipient.',
	suspected_injection: 'The message looks like it tries to instruct the assistant (prompt injection). Check every sentence of the draft and the recipient.',
	oversized: 'The message was too large to read in full; only its headers were used.',
	sku_mismatch: 'The draft names a part number that is not in the looked-up facts.',
	unknown_sku: 'The draft names a part number that is not in the looked-up facts.',
	quantity_mismatch: 'A quantity in the draft differs from the stock facts.',
	price_mismatch: 'A price in the draft differs from the inventory facts.',
	date_mismatch: 'A date in the draft differs from the order facts.',
	order_mismatch: 'The draft names an order that is not in the looked-up facts.',
	url_not_allowed: 'The draft contains a link outside the allowed list.',
	url: 'The draft contains a link outside the allowed list.',
	foreign_address: 'The draft mentions an e-mail address that is not the customer\'s.',
	address: 'The draft mentions an e-mail address that is not the customer\'s.',
	recipient_mismatch: 'The reply would go to someone other than the sender.',
	forbidden_phrase: 'The draft uses a phrase the business rules forbid.',
	too_long: 'The draft is longer than allowed.',
	too_short: 'The draft is suspiciously short.',
	length: 'The draft is too long or too short.',
	facts_unknown: 'A connector failed, so some facts are unknown: nothing was confirmed for them.',
	facts_stale: 'The facts are older than allowed for an automatic reply.',
	order_not_owned: 'An order in the message belongs to another customer: do not disclose it.',
	never_auto: 'A rule says this may never be sent automatically.',
	require_human: 'A rule requires a human to handle this message.',
	low_confidence: 'The classifier is not confident about the category.',
	duplicate: 'This message was already delivered once.',
	bulk: 'Bulk or list mail.',
	auto_submitted: 'An automatic message (auto-reply, bounce or notification).',
	// output gates and built-in never-auto checks (deploy/SECURITY.md)
	link_not_allowed: 'The draft links to, or names, a domain that is not on the allow-list.',
	lookalike_text: 'The draft has a word made of look-alike letters from two alphabets.',
	address_not_allowed: 'The draft contains an e-mail address that is neither the customer\'s nor ours.',
	phone_not_allowed: 'The draft contains a phone number that is not in the facts or our signature.',
	payment_details: 'The draft mentions bank details, an IBAN or a payment method.',
	money_promise: 'The draft promises a discount, refund, credit or something free.',
	amount_not_in_facts: 'The draft states an amount in another currency that the facts do not hold.',
	date_not_in_facts: 'The draft states a date that is not in the facts.',
	example_copied: 'The draft copies an earlier example reply.',
	personal_data: 'The draft names a person or a street address that is not the customer\'s.',
	reply_to_elsewhere: 'The message asks for replies to another domain (Reply-To): check who gets the reply.',
	sender_auth_failed: 'Our mail server says the sender failed authentication (DMARC/SPF): it may be forged.',
	recipient_not_sender: 'The reply would go to someone other than the sender.',
};

// [{code, words}] for a guardrail flag given as a string or an object.
export function flagWords(flag) {
	if (flag === null || flag === undefined) return {code: '', words: ''};
	if (typeof flag === 'string') {
		return {code: flag, words: FLAG_WORDS[flag] || flag.replace(/[_.]/g, ' ')};
	}
	const code = flag.code || flag.flag || flag.check || flag.name || flag.kind || 'flag';
	const extra = flag.message || flag.detail || flag.reason || flag.text || '';
	const base = FLAG_WORDS[code] || String(code).replace(/[_.]/g, ' ');
	return {code, words: extra ? base + ' (' + (typeof extra === 'string' ? extra : JSON.stringify(extra)) + ')' : base};
}

export function shortFlag(flag) {
	return typeof flag === 'string' ? flag : flagWords(flag).code;
}

export function senderName(s) {
	return s ? String(s) : '(no sender)';
}

export const CATEGORY_MODES = ['off', 'draft', 'shadow', 'auto'];

export const MODE_WORDS = {
	off: 'no drafts: every message goes to a human unassisted',
	draft: 'drafts wait for a reviewer (the default)',
	shadow: 'drafts wait for a reviewer, and draftd records whether it would have sent automatically',
	auto: 'replies are sent without review when every gate passes; a sample is reviewed afterwards',
};
