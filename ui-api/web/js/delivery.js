// SPDX-License-Identifier: MIT
// "May have been delivered; send again?": a reply whose SMTP outcome was
// ambiguous (the outbox state is uncertain: the whole message reached the
// server, no final answer came). draftd never sends it again on its own; a
// person says whether it arrived or asks to send it again.

import {api} from './api.js';
import {h} from './dom.js';

// The panel for draft d, or null when its reply is not uncertain. reload()
// is called after an answer was recorded.
export function deliveryBlock(d, reload) {
	if (!d || !d.outbox || d.outbox.state !== 'uncertain') return null;
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
