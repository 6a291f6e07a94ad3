// SPDX-License-Identifier: MIT
// What the page says when single sign-on sent the browser back with
// ?signin_error=CODE (routes/api_oidc.c): the detail is in draftd's log.

const TEXT = {
	provider_unreachable: 'The sign-on provider could not be reached. Try again, or sign in with a password.',
	provider_refused: 'The sign-on provider did not sign you in (cancelled or refused).',
	bad_callback: 'The answer from the sign-on provider was incomplete. Start again.',
	expired: 'That sign-in took too long or was already used. Start again.',
	token_refused: 'The sign-on provider\'s answer could not be verified. Ask an admin to look at draftd\'s log.',
	no_role: 'Your account at the sign-on provider has no draftd role (reviewer or admin). Ask an admin.',
	account_disabled: 'Your draftd account is disabled. Ask an admin.',
	login_taken: 'A draftd account with your login exists already without single sign-on. Ask an admin.',
};

export function signinErrorText(code) {
	return TEXT[code] || 'Single sign-on failed (' + String(code).slice(0, 40) + ').';
}
