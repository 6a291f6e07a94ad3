// SPDX-License-Identifier: MIT
// "May have been delivered; send again?": a reply whose SMTP outcome was
// ambiguous (the outbox state is uncertain: the whole message reached the
// server, no final answer came). draftd never sends it again on its own; a
// person says whether it arrived or asks to send it again.

import {api} from './api.js';
import {h} from './dom.js';

// A reply that has not left (issue 18): why, in the mail server's words,
// and what a person can do: retry now (the outbox is still trying, with
// growing pauses) or send again (it gave up; the approved text is kept).
function stuckBlock(d, reload) {
	const o = d.outbox;
	const failed = o.state === 'failed';
	const error = h('p.error#stuck-error', {hidden: true});
	async function retry() {
		error.hidden = true;
		try {
			await api.retry(d.id);
			reload();
		} catch (e) {
			error.textContent = e.message;
			error.hidden = false;
		}
	}
	const tries = o.attempts + (o.attempts === 1 ? ' try' : ' tries');
	return h('div.conflict#delivery-stuck', {role: 'alert'},
		h('h2', failed ? 'This reply was not sent' : 'This reply has not left yet'),
		h('p#stuck-reason', o.last_error || 'The mail server did not take it.'),
		h('p.muted', failed
			? 'The outbox gave up after ' + tries + '; nothing was sent. Fix the cause ' +
				'(the reason above), then send it again: the approved text is kept.'
			: tries + ' failed so far; it is tried again by itself with growing pauses. ' +
				'Fixed the cause? Retry now.'),
		h('div.buttons',
			h('button.primary#b-retry', {type: 'button', on: {click: retry}},
				failed ? 'Send again' : 'Retry now')),
		error);
}

// The panel for draft d, or null when its reply is on its way or sent.
// reload() is called after an answer was recorded.
export function deliveryBlock(d, reload) {
	if (!d || !d.outbox) return null;
	if (d.outbox.state === 'failed' || (d.outbox.state === 'pending' && d.outbox.attempts > 0)) {
		return stuckBlock(d, reload);
	}
	if (d.outbox.state !== 'uncertain') return null;
	const error = h('p.error#delivery-error', {hidden: true});
	async function answer(send) {
		error.hidden = true;
		try {
			await (send ? api.resend(d.id) : api.delivered(d.id));
			reload();
		} catch (e) {
			error.textContent = e.message;
			error.hidden = false;
		}
	}
	return h('div.conflict#delivery-uncertain', {role: 'alert'},
		h('h2', 'This reply may have been delivered; send again?'),
		h('p', d.outbox.last_error || 'The mail server did not confirm it.'),
		h('p.muted', 'It is not sent again on its own. If the customer got it (or the mail ' +
			'server shows it), mark it delivered; otherwise send it again.'),
		h('div.buttons',
			h('button.primary#b-delivered', {type: 'button', on: {click: () => answer(false)}},
				'It was delivered'),
			h('button.danger#b-resend', {type: 'button', on: {click: () => answer(true)}},
				'Send again')),
		error);
}
