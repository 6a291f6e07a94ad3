// SPDX-License-Identifier: MIT
// Answering from "Needs a human": a reply written from scratch (threaded,
// Sent copy and \Answered like any reply, with the send delay and Undo), a
// follow-up once the message has its reply, or closing it with a reason.

import {api, idempotencyKey} from './api.js';
import {h} from './dom.js';
import {conflictWords} from './actions.js';
import {trackSend} from './sending.js';

export const CLOSE_REASONS = ['no reply needed', 'answered by phone', 'spam'];

// The reply form. m: the message (GET /messages/{id}). onSent() after the
// reply is queued. Returns {el, unsaved()}.
export function composePane(m, ctx, onSent) {
	const hdrs = m.headers || {};
	const followUp = m.status === 'replied';
	const key = idempotencyKey(); // one per form: a repeated click never sends twice
	const to = h('input#c-recipient', {type: 'email', maxlength: 320, autocomplete: 'off',
		value: hdrs.reply_to || hdrs.from || m.sender || ''});
	const cc = h('input#c-cc', {type: 'text', maxlength: 1000, autocomplete: 'off'});
	const subject = h('input#c-subject', {type: 'text', maxlength: 998, autocomplete: 'off',
		placeholder: 'Re: ' + (hdrs.subject || '')});
	const body = h('textarea#c-body', {rows: 12, spellcheck: true, required: true,
		placeholder: 'Write the reply to the customer here.'});
	const send = h('button.primary#b-send-reply', {type: 'button', on: {click: doSend}},
		followUp ? 'Send follow-up' : 'Send reply');
	const error = h('p.error#compose-error', {hidden: true});
	let sent = false;
	body.addEventListener('keydown', (ev) => {
		if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
			ev.preventDefault();
			doSend();
		}
	});

	async function doSend() {
		const text = body.value;
		if (!text.trim()) {
			error.hidden = false;
			error.textContent = 'Write the reply first.';
			body.focus();
			return;
		}
		const req = {body: text};
		if (to.value.trim()) req.recipient = to.value.trim();
		if (cc.value.trim()) req.cc = cc.value.trim();
		if (subject.value.trim()) req.subject = subject.value.trim();
		if (followUp) req.follow_up = true;
		send.disabled = true;
		error.hidden = true;
		try {
			const r = await api.reply(m.id, req, key);
			sent = true;
			trackSend(r, (followUp ? 'Follow-up' : 'Reply') + ' to ' + (req.recipient || hdrs.from || 'the customer'));
			ctx.refreshBacklog();
			onSent(r);
		} catch (e) {
			send.disabled = false;
			error.hidden = false;
			error.textContent = 'Not sent: ' + (e.status === 409 ? conflictWords(e) : e.message);
		}
	}

	const live = m.live_draft_id;
	const el = h('section.pane.compose#compose',
		h('h2', followUp ? 'Send a follow-up' : 'Write the reply yourself'),
		followUp ? h('p.muted', 'The customer already got a reply' + (m.reply_draft_id
			? ' (draft #' + m.reply_draft_id + ')' : '') + '. This one is recorded as a follow-up.') : null,
		!followUp && live ? h('p.banner', 'Sending this replaces draft #' + live + ', which waits for review.')
			: null,
		h('label', {for: 'c-recipient'}, 'To'), to,
		h('label', {for: 'c-cc'}, 'Cc'), cc,
		h('label', {for: 'c-subject'}, 'Subject (empty: Re: and the customer\'s subject)'), subject,
		h('label', {for: 'c-body'}, 'Reply'), body,
		error,
		h('div.buttons', send),
		h('p.hint', 'Ctrl+Enter sends. The reply is threaded to the customer\'s mail, copied to Sent, ' +
			'and can be undone while it waits to be sent.'));
	return {el, unsaved: () => !sent && body.value.trim() !== ''};
}

// Close without a reply, with a reason. onClosed(message) afterwards.
export function closePane(m, ctx, onClosed) {
	const reason = h('input#close-reason', {type: 'text', maxlength: 500, autocomplete: 'off',
		placeholder: 'Why no reply is needed'});
	const chips = CLOSE_REASONS.map((r) => h('button.chip', {type: 'button', dataset: {reason: r},
		on: {click: () => {
			reason.value = r;
			reason.focus();
		}}}, r));
	const close = h('button.danger#b-close', {type: 'button', on: {click: doClose}}, 'Close without reply');
	const error = h('p.error#close-error', {hidden: true});

	async function doClose() {
		const why = reason.value.trim();
		if (!why) {
			error.hidden = false;
			error.textContent = 'Give a reason: pick one or type your own.';
			reason.focus();
			return;
		}
		close.disabled = true;
		try {
			const r = await api.close(m.id, why);
			ctx.notice('Message #' + m.id + ' closed: ' + why + '.', 'ok');
			ctx.refreshBacklog();
			onClosed(r);
		} catch (e) {
			close.disabled = false;
			error.hidden = false;
			error.textContent = 'Not closed: ' + (e.status === 409 ? conflictWords(e) : e.message);
		}
	}

	return h('section.pane.close-form#close-form',
		h('h2', 'Close without a reply'),
		h('label', {for: 'close-reason'}, 'Reason'), reason, h('div.chips', chips),
		error, h('div.buttons', close),
		h('p.hint', 'Closed messages leave every list; they can be reopened.'));
}
