// SPDX-License-Identifier: MIT
// The "Sending in N s, Undo" tray: every reply approved from this page waits
// [review] send_delay in the outbox, and until the sender takes it Undo puts
// the draft back to pending with the edit kept. The tray lives outside the
// views, so it stays while the reviewer moves on to the next draft.

import {api} from './api.js';
import {$, h, replace} from './dom.js';
import {outboxWords, sendDeadline} from './states.js';

const items = new Map(); // draft id -> {el, text, undo, deadline, timer, polls}
let ctx = null;

export function initSending(context) {
	ctx = context;
}

function tray() {
	return $('#sending');
}

function drop(id) {
	const it = items.get(id);
	if (!it) return;
	clearTimeout(it.timer);
	it.el.remove();
	items.delete(id);
	tray().hidden = items.size === 0;
}

async function undo(id) {
	const it = items.get(id);
	if (!it) return;
	it.undo.disabled = true;
	try {
		await api.undo(id);
		drop(id);
		ctx.notice('Not sent: draft #' + id + ' is back in review with your text.', 'ok');
		ctx.navigate('draft/' + id);
	} catch (e) {
		it.undo.disabled = false;
		if (e.status === 409 && e.code === 'too_late') {
			it.undo.hidden = true;
			replace(it.text, it.label, ': too late to undo, it is being sent.');
		} else {
			ctx.notice('Not undone: ' + e.message, 'error');
		}
	}
}

// Once the delay is over: ask where the reply is until it is sent or failed.
async function follow(id) {
	const it = items.get(id);
	if (!it) return;
	let d = null;
	try {
		d = await api.draft(id);
	} catch (e) {
		d = null;
	}
	if (!items.has(id)) return;
	const o = (d && d.outbox) || null;
	if (d && d.status === 'pending') { // undone elsewhere
		drop(id);
		return;
	}
	if (o && o.can_undo && o.seconds_left > 0) {
		it.deadline = sendDeadline(o);
		tick(id);
		return;
	}
	it.undo.hidden = !(o && o.can_undo);
	replace(it.text, it.label, ': ', outboxWords(o) || 'sending.');
	it.el.classList.toggle('failed', !!o && o.state === 'failed');
	if (o && o.state === 'sent') {
		it.timer = setTimeout(() => drop(id), 4000);
	} else if (!(o && o.state === 'failed') && ++it.polls < 60) {
		it.timer = setTimeout(() => follow(id), 2000);
	}
}

function tick(id) {
	const it = items.get(id);
	if (!it) return;
	const left = Math.ceil((it.deadline - Date.now()) / 1000);
	if (left > 0) {
		replace(it.text, it.label, ': sending in ' + left + ' s');
		it.timer = setTimeout(() => tick(id), Math.min(1000, it.deadline - Date.now() + 20));
	} else {
		replace(it.text, it.label, ': sending now');
		it.timer = setTimeout(() => follow(id), 500);
	}
}

// decision: the answer of approve or compose (id, outbox, ...); label names
// the reply for the reviewer ("Draft #12 to x@y").
export function trackSend(decision, label) {
	const id = String(decision.id);
	drop(id);
	const o = decision.outbox || {};
	// without a send delay there is nothing to undo, but the tray still
	// follows the reply until it is sent or has failed
	const deadline = o.can_undo ? sendDeadline(o) : null;
	const text = h('span.send-text');
	const undoButton = h('button.undo', {type: 'button', dataset: {draft: id},
		title: 'Keep it from being sent and put it back in review',
		on: {click: () => undo(id)}}, 'Undo');
	const dismiss = h('button.dismiss', {type: 'button', title: 'Hide', 'aria-label': 'Hide',
		on: {click: () => drop(id)}}, '×');
	const el = h('div.send-item', {dataset: {draft: id}}, text, undoButton, dismiss);
	items.set(id, {el, text, undo: undoButton, deadline, label, timer: null, polls: 0});
	tray().append(el);
	tray().hidden = false;
	if (deadline !== null) {
		tick(id);
	} else {
		undoButton.hidden = true;
		replace(text, label, ': queued for sending');
		items.get(id).timer = setTimeout(() => follow(id), 1000);
	}
}

// The newest reply that can still be undone (the z key), or null.
export function lastUndoable() {
	const open = [...items.entries()].filter(([, it]) => !it.undo.hidden && !it.undo.disabled);
	return open.length ? open[open.length - 1][0] : null;
}

export function undoLast() {
	const id = lastUndoable();
	if (id) undo(id);
	return !!id;
}
