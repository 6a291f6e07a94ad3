-- The review API (ui-api/, daemon/store_review*.c): what approve, claim,
-- PATCH and the poll-now button need beyond 0001.

-- The model's body before the first reviewer edit: edit_distance compares
-- the final body with it, not with an intermediate PATCH.
ALTER TABLE drafts ADD COLUMN original_body text;
ALTER TABLE drafts ADD COLUMN original_subject text;
-- The Idempotency-Key of the approve that decided this draft: a repeat with
-- the same key (or any approve of an approved draft) returns the same result.
ALTER TABLE drafts ADD COLUMN approve_key text;
-- Keyset listing and filters.
CREATE INDEX drafts_category_idx ON drafts (category, id);
CREATE INDEX drafts_reviewer_idx ON drafts (reviewer) WHERE reviewer IS NOT NULL;

-- "Poll now" from POST /api/v1/mailboxes/{name}/poll: the poller polls a
-- mailbox early when poll_requested_at is later than last_poll_at.
ALTER TABLE mailboxes ADD COLUMN poll_requested_at timestamptz;
ALTER TABLE mailboxes ADD COLUMN poll_requested_by text;

-- Audit history of one object (GET /drafts/{id} shows it).
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, id);
