// SPDX-License-Identifier: MIT
// The customer's message is the unit of work: its status (open, replied,
// closed, skipped) and, while open, where it waits. Also a reply's way out
// through the outbox, in words. Every view shows these the same way.

import {h} from './dom.js';
import {age, when} from './format.js';

const QUEUE_WORDS = {
	review: 'a draft waits for review',
	sending: 'a reply is about to be sent',
	drafting: 'being drafted',
	human: 'needs a human',
};

// {status, queue} of a message summary, a full message or a draft's
// message; null when the API did not say (an older server).
export function messageOf(x) {
	if (!x) return null;
	const status = x.status && ['open', 'replied', 'closed', 'skipped'].includes(x.status) ? x.status
		: x.message_status || null;
	return status ? {status, queue: x.queue || null} : null;
}

// The message's state as a badge plus words: "open · needs a human".
export function messageBadge(x) {
	const m = messageOf(x);
	if (!m) return null;
	return h('span.mstate', {dataset: {status: m.status, queue: m.queue || ''}},
		h('span.status.m-' + m.status, m.status),
		m.status === 'open' && QUEUE_WORDS[m.queue] ? ' ' + QUEUE_WORDS[m.queue] : '');
}

export function queueWords(queue) {
	return QUEUE_WORDS[queue] || '';
}

// Whole seconds until the outbox takes a reply: from seconds_left as the
// server counted it when the answer was made (the page's clock may be off).
export function sendDeadline(outbox, receivedAt = Date.now()) {
	if (!outbox || outbox.seconds_left === null || outbox.seconds_left === undefined) return null;
	return receivedAt + 1000 * Math.max(0, Number(outbox.seconds_left));
}

// Where a reply is on its way out, in words a reviewer understands.
export function outboxWords(outbox, deadline = null) {
	if (!outbox) return '';
	const err = outbox.last_error ? ': ' + outbox.last_error : '';
	const tries = outbox.attempts ? outbox.attempts + (outbox.attempts === 1 ? ' try' : ' tries') : '';
	switch (outbox.state) {
	case 'sent':
		return 'Sent' + (outbox.sent_at ? ' ' + when(outbox.sent_at) : '') + '.';
	case 'failed':
		return 'Sending failed' + (tries ? ' after ' + tries : '') + err +
			'. Nothing was sent; the message is back under "Needs a human".';
	case 'sending':
		return 'Being handed to the mail server now.';
	case 'uncertain':
		return 'May have been delivered' + err + '. It is not sent again on its own: ' +
			'say whether it arrived, or send it again.';
	case 'pending': {
		const left = deadline ? Math.ceil((deadline - Date.now()) / 1000) : null;
		if (outbox.attempts > 0) {
			return 'Not sent yet: ' + tries + ' failed' + err + '. It is tried again by itself.';
		}
		if (left !== null && left > 0) return 'Sending in ' + left + ' s.';
		return 'Waiting for the outbox sender.';
	}
	default:
		return outbox.state ? 'Outbox: ' + outbox.state + err : '';
	}
}

// How old the backlog's figures were when they came: "as of 3 s ago
// (12:03:04)" (the server shares one count for [api] backlog_max_age
// seconds; age_seconds says how old the one sent is).
const CLOCK = new Intl.DateTimeFormat(undefined, {timeStyle: 'medium'});
export function backlogAsOf(b) {
	if (!b || b.age_seconds === undefined || b.age_seconds === null) return '';
	const s = Math.round(Number(b.age_seconds));
	const at = b.computed_at ? new Date(b.computed_at) : null;
	return 'as of ' + (s < 1 ? 'just now' : s + ' s ago') +
		(at && !isNaN(at) ? ' (' + CLOCK.format(at) + ')' : '');
}

// "12 open · oldest 3h 20m" for the page header.
export function backlogWords(b) {
	if (!b || b.open === undefined) return '';
	const oldest = b.oldest_open_age_seconds;
	return b.open + ' open' + (b.open && oldest !== null && oldest !== undefined
		? ' · oldest ' + age(oldest) : '');
}
