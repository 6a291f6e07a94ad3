// SPDX-License-Identifier: MIT
// Claims follow presence. Viewing a draft never claims it; the first edit
// does. While this page holds the claim and the reviewer is active, a
// heartbeat renews it; leaving the draft (another view, closing the tab)
// gives it back, and a reviewer idle for [review] claim_ttl lets it lapse.
// Whoever holds a draft is shown; an admin can take it over.

import {api, ApiError} from './api.js';

const ACTIVITY = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'focusin'];

// presence(id, session, onChange): onChange() runs whenever the holder
// changes (as seen by a load, a claim, a heartbeat or a take-over).
export function presence(id, session, onChange) {
	const me = session.name;
	const ttl = (session.review && session.review.claimTtl) || 120;
	const every = (session.review && session.review.heartbeat) || Math.max(5, Math.floor(ttl / 3));
	let holder = null;
	let expires = null;
	let takenFrom = null;
	let lastActive = Date.now();
	let claiming = null;
	let timer = null;
	let stopped = false;

	function set(who, until) {
		const before = holder;
		holder = who || null;
		expires = until || null;
		if (before !== holder) onChange();
	}
	const active = () => (lastActive = Date.now());

	// The claim is mine until a load, heartbeat or claim answer says otherwise.
	const p = {
		get holder() {
			return holder;
		},
		get expires() {
			return expires;
		},
		get takenFrom() {
			return takenFrom;
		},
		mine: () => holder !== null && holder === me,
		// someone else holds it: the editor is read-only
		other: () => holder !== null && holder !== me,
		update(draft) {
			if (!draft) return;
			const live = ['pending', 'claimed'].includes(draft.status);
			set(live ? draft.claimed_by : null, live ? draft.claim_expires : null);
		},
		// Claims (or, for an admin, takes over). Resolves true when this
		// page holds the claim afterwards; false when someone else does.
		async claim(takeOver = false) {
			if (p.mine() && !takeOver) return true;
			if (claiming) return claiming;
			claiming = (async () => {
				try {
					const c = await api.claim(id, takeOver);
					takenFrom = c.taken_over_from || null;
					set(c.claimed_by || me, c.claim_expires);
					return true;
				} catch (e) {
					if (e instanceof ApiError && e.status === 409 && e.detail && e.detail.claimed_by) {
						set(e.detail.claimed_by, e.detail.claim_expires);
						return false;
					}
					throw e;
				} finally {
					claiming = null;
				}
			})();
			return claiming;
		},
		// A save claims too (PATCH): the page learns it without asking.
		saved() {
			set(me, expires);
		},
		// Gives the claim back (leaving the draft). keepalive: the page is
		// being unloaded, the request must outlive it.
		leave(keepalive = false) {
			if (!p.mine()) return;
			holder = null;
			api.release(id, keepalive).catch(() => {});
		},
		stop() {
			if (stopped) return;
			stopped = true;
			clearTimeout(timer);
			for (const ev of ACTIVITY) document.removeEventListener(ev, active, true);
			window.removeEventListener('pagehide', onHide);
			p.leave(false);
		},
	};

	async function beat() {
		if (stopped) return;
		if (p.mine() && Date.now() - lastActive < ttl * 1000) {
			try {
				const c = await api.heartbeat(id);
				set(c.claimed_by || me, c.claim_expires);
			} catch (e) {
				if (e instanceof ApiError && e.status === 409) {
					const d = e.detail || {};
					if (d.claimed_by !== me) set(d.claimed_by || null, d.claim_expires);
				}
			}
		}
		if (!stopped) timer = setTimeout(beat, every * 1000);
	}
	function onHide() {
		p.leave(true);
	}

	for (const ev of ACTIVITY) document.addEventListener(ev, active, {capture: true, passive: true});
	window.addEventListener('pagehide', onHide);
	timer = setTimeout(beat, every * 1000);
	return p;
}
