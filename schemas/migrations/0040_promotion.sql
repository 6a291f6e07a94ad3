-- Promotion and demotion of categories (daemon/promotion*.c,
-- daemon/store/store_promotion.c): the global automatic-reply switch, when and why
-- a category last changed by itself, post-send samples, and the customer
-- replies on automatically answered threads already looked at.

-- Instance-wide settings every draftd sharing this database obeys.
-- auto_enabled: the kill switch (`draftd auto off`, POST /api/v1/auto).
CREATE TABLE settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_by  text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings (key, value, updated_by) VALUES ('auto_enabled', 'true', 'migration');

ALTER TABLE categories
    ADD COLUMN promoted_at   timestamptz,   -- last change to auto (by anyone)
    ADD COLUMN demoted_at    timestamptz,   -- last automatic demotion
    ADD COLUMN demote_reason text;

-- A share of automatic replies is reviewed after sending (audit_sample_rate).
ALTER TABLE drafts
    ADD COLUMN sampled        boolean NOT NULL DEFAULT false,
    ADD COLUMN sample_verdict text CHECK (sample_verdict IN ('fine', 'bad')),
    ADD COLUMN sample_note    text,
    ADD COLUMN sample_by      text,
    ADD COLUMN sample_at      timestamptz;
CREATE INDEX drafts_sampled_idx ON drafts (id) WHERE sampled;

-- Customer replies on threads we answered automatically, once looked at:
-- demoted tells whether the reply pulled the category back.
CREATE TABLE auto_thread_replies (
    message_id  bigint PRIMARY KEY REFERENCES messages(id),
    draft_id    bigint NOT NULL REFERENCES drafts(id),
    category    text,
    demoted     boolean NOT NULL,
    checked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_auto_idx ON outbox (created_at) WHERE is_auto;
