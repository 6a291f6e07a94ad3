-- People who sign in to the reviewer page, and their sessions (issue 16
-- groundwork: daemon/store/store_people.c; the API does not use them yet, API
-- tokens stay as they are).

-- A person: signs in with a password (Argon2id PHC string, ui-api/auth/
-- auth_password.c) or through the OpenID provider (issuer + subject), or both.
CREATE TABLE people (
    id bigserial PRIMARY KEY,
    login text NOT NULL CHECK (login ~ '^[A-Za-z0-9._@-]{1,64}$'),
    display_name text NOT NULL DEFAULT '',
    email text,
    role text NOT NULL CHECK (role IN ('reviewer', 'admin')),
    password_hash text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
    oidc_issuer text,
    oidc_subject text,
    disabled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((oidc_issuer IS NULL) = (oidc_subject IS NULL))
);
-- "Alice" and "alice" are one person.
CREATE UNIQUE INDEX people_login_key ON people (lower(login));
CREATE UNIQUE INDEX people_oidc_key ON people (oidc_issuer, oidc_subject)
    WHERE oidc_issuer IS NOT NULL;

-- A session: id is the hex SHA-256 of the cookie's token (ui-api/auth/
-- auth_session.c), never the token. expires_at is the earlier of the idle and
-- the absolute end, moved on by each request; ended_at is set by sign-out, a
-- password change or disabling the person.
CREATE TABLE sessions (
    id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    person_id bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at timestamptz,
    client_addr text
);
CREATE INDEX sessions_person_idx ON sessions (person_id) WHERE ended_at IS NULL;

-- Server secrets every instance must share (the CSRF HMAC key): the first
-- instance that asks stores its random candidate, the others read it.
CREATE TABLE auth_keys (
    name text PRIMARY KEY,
    secret bytea NOT NULL CHECK (length(secret) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
