// SPDX-License-Identifier: MIT
// The backlog in the page header: open messages and how long the oldest has
// waited (GET /backlog), refreshed every half minute and after each decision.

import {api} from './api.js';
import {$, replace} from './dom.js';
import {backlogAsOf, backlogWords} from './states.js';

const REFRESH_MS = 30000;
let timer = null;
let running = false;

export async function refreshBacklog() {
	const el = $('#backlog');
	if (!el || !running) return;
	clearTimeout(timer);
	try {
		const b = await api.backlog();
		if (!running) return;
		replace(el, backlogWords(b));
		el.title = 'Open messages: ' + (b.review || 0) + ' in review, ' + (b.sending || 0) +
			' being sent, ' + (b.drafting || 0) + ' being drafted, ' + (b.human || 0) +
			' under Needs a human' + (b.oldest_open_at ? '; the oldest arrived ' +
			new Date(b.oldest_open_at).toLocaleString() : '') +
			(backlogAsOf(b) ? '; figures ' + backlogAsOf(b) : '');
		el.dataset.open = String(b.open);
		el.classList.toggle('late', (b.oldest_open_age_seconds || 0) > 4 * 3600);
		el.hidden = false;
	} catch (e) {
		// a server without /backlog: no header figure, nothing else breaks
		el.hidden = true;
	}
	if (running) timer = setTimeout(refreshBacklog, REFRESH_MS);
}

export function startBacklog() {
	running = true;
	refreshBacklog();
}

export function stopBacklog() {
	running = false;
	clearTimeout(timer);
	const el = $('#backlog');
	if (el) el.hidden = true;
}
