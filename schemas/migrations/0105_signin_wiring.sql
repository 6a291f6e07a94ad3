-- SPDX-License-Identifier: MIT
-- Issue 16, sign-in wired into the API (ui-api/api_auth.c, routes/api_signin.c,
-- routes/api_oidc.c).

-- An API token is tied to a person (whose login then names it in the audit
-- log, and whose disabling stops it) or, with person_id NULL, names a service
-- ("ci-export") as before.
ALTER TABLE api_tokens
    ADD COLUMN person_id bigint REFERENCES people (id) ON DELETE RESTRICT;

-- Failed sign-ins, for the lock-out: one row per account ('login:' + lower
-- login, whether or not the account exists, so a lock says nothing about
-- which names are real) and per client address ('addr:' + address). failures
-- counts within the window that began at window_start; locked_until is set
-- when the count reaches the limit. A successful sign-in deletes the
-- account's row.
CREATE TABLE auth_failures (
    key text PRIMARY KEY CHECK (length(key) <= 200),
    failures integer NOT NULL DEFAULT 0,
    window_start timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz
);

-- OpenID Connect sign-ins under way: between /auth/oidc/start and the
-- provider's redirect to /auth/oidc/callback. Keyed by the hex SHA-256 of the
-- state (the state itself travels in the browser), holding the nonce the ID
-- token must carry and the PKCE verifier for the code exchange. Used once;
-- rows older than ten minutes are refused and swept.
CREATE TABLE oidc_pending (
    state_hash text PRIMARY KEY CHECK (state_hash ~ '^[0-9a-f]{64}$'),
    nonce text NOT NULL,
    verifier text NOT NULL,
    return_to text NOT NULL DEFAULT '/',
    created_at timestamptz NOT NULL DEFAULT now()
);
