-- draftd's data model (see DESIGN.md "Data model"). Applied by `draftd migrate`
-- in one transaction and recorded in schema_migrations.

CREATE TABLE mailboxes (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    imap_url        text NOT NULL,
    imap_user       text NOT NULL,
    secret_ref      text,                       -- where the password comes from, never the password
    folder          text NOT NULL DEFAULT 'INBOX',
    address         text,
    poll_interval   integer NOT NULL DEFAULT 60 CHECK (poll_interval > 0),
    idle            boolean NOT NULL DEFAULT true,
    uidvalidity     bigint,
    last_uid        bigint NOT NULL DEFAULT 0,
    last_poll_at    timestamptz,
    last_error      text,
    last_error_at   timestamptz,
    lease_owner     text,
    lease_expires   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per UIDVALIDITY change, so an operator can see when it happened.
CREATE TABLE mailbox_events (
    id          bigserial PRIMARY KEY,
    mailbox_id  bigint NOT NULL REFERENCES mailboxes(id),
    kind        text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE messages (
    id                bigserial PRIMARY KEY,
    mailbox_id        bigint NOT NULL REFERENCES mailboxes(id),
    uidvalidity       bigint NOT NULL,
    uid               bigint NOT NULL,
    message_id        text,
    sha256            bytea NOT NULL CHECK (length(sha256) = 32),
    content_sha256    bytea,                    -- hash without trace headers: finds redeliveries
    sender            text,
    reply_to          text,
    subject           text,
    sent_date         timestamptz,
    date_raw          text,
    in_reply_to       text,
    "references"      text,
    headers           jsonb NOT NULL DEFAULT '{}',
    text_body         text,
    quoted_text       text,
    attachments       jsonb NOT NULL DEFAULT '[]',
    raw               bytea,
    raw_size          bigint NOT NULL CHECK (raw_size >= 0),
    is_bulk           boolean NOT NULL DEFAULT false,
    is_auto_submitted boolean NOT NULL DEFAULT false,
    is_oversized      boolean NOT NULL DEFAULT false,
    injection_suspect boolean NOT NULL DEFAULT false,
    is_duplicate      boolean NOT NULL DEFAULT false,
    duplicate_of      bigint REFERENCES messages(id),
    screen_reason     text,                     -- why it is never drafted, NULL when it may be
    state             text NOT NULL DEFAULT 'new'
                      CHECK (state IN ('new', 'processing', 'drafted', 'skipped', 'human', 'failed')),
    received_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT messages_mailbox_uid_key UNIQUE (mailbox_id, uidvalidity, uid),
    CONSTRAINT messages_mailbox_sha256_key UNIQUE (mailbox_id, sha256)
);
CREATE INDEX messages_message_id_idx ON messages (mailbox_id, message_id);
CREATE INDEX messages_content_sha256_idx ON messages (mailbox_id, content_sha256);

CREATE TABLE jobs (
    id               bigserial PRIMARY KEY,
    message_id       bigint NOT NULL REFERENCES messages(id),
    stage            text NOT NULL DEFAULT 'pipeline',
    state            text NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_by        text,
    locked_until     timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT jobs_message_stage_key UNIQUE (message_id, stage)
);
CREATE INDEX jobs_ready_idx ON jobs (next_attempt_at) WHERE state IN ('queued', 'running');

CREATE TABLE categories (
    name               text PRIMARY KEY,
    mode               text NOT NULL DEFAULT 'draft'
                       CHECK (mode IN ('off', 'draft', 'shadow', 'auto')),
    threshold          double precision NOT NULL DEFAULT 0.9 CHECK (threshold BETWEEN 0 AND 1),
    audit_sample_rate  double precision NOT NULL DEFAULT 0.1 CHECK (audit_sample_rate BETWEEN 0 AND 1),
    min_samples        integer NOT NULL DEFAULT 50 CHECK (min_samples > 0),
    target_rate        double precision NOT NULL DEFAULT 0.95 CHECK (target_rate BETWEEN 0 AND 1),
    promotion          text NOT NULL DEFAULT 'manual' CHECK (promotion IN ('manual', 'automatic')),
    updated_by         text,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE drafts (
    id                 bigserial PRIMARY KEY,
    message_id         bigint NOT NULL REFERENCES messages(id),
    category           text,
    confidence         double precision CHECK (confidence BETWEEN 0 AND 1),
    confidence_source  text,
    subject            text NOT NULL DEFAULT '',
    body               text NOT NULL DEFAULT '',
    recipient          text,
    cc                 text,
    model              text,
    prompt_version     text,
    facts              jsonb NOT NULL DEFAULT '{}',
    rule_hits          jsonb NOT NULL DEFAULT '[]',
    guardrail_flags    jsonb NOT NULL DEFAULT '[]',
    decision           text,
    decision_reasons   jsonb NOT NULL DEFAULT '[]',
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'claimed', 'approved', 'rejected', 'sent',
                                         'auto_sent', 'failed')),
    version            integer NOT NULL DEFAULT 1,
    claimed_by         text,
    claim_expires      timestamptz,
    reviewer           text,
    final_body         text,
    edit_distance      double precision,
    reject_reason      text,
    corrected_category text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    decided_at         timestamptz
);
CREATE INDEX drafts_status_idx ON drafts (status, id);
CREATE INDEX drafts_message_idx ON drafts (message_id);

CREATE TABLE outbox (
    id             bigserial PRIMARY KEY,
    draft_id       bigint NOT NULL REFERENCES drafts(id),
    message_id     text NOT NULL UNIQUE,   -- our Message-ID, fixed before the first try
    is_auto        boolean NOT NULL DEFAULT false,
    attempts       integer NOT NULL DEFAULT 0,
    state          text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    CONSTRAINT outbox_draft_key UNIQUE (draft_id)
);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    object_type text NOT NULL,
    object_id   text,
    before      jsonb,
    after       jsonb,
    prev_hash   bytea,
    hash        bytea NOT NULL
);

CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    role        text NOT NULL CHECK (role IN ('reviewer', 'admin')),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
