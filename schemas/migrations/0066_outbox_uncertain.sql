-- Ambiguous SMTP outcomes (daemon/outbox/outbox.c, daemon/store/store_outbox_uncertain.c):
-- a reply whose whole message reached the server without a final reply (a
-- lost connection, [smtp] timeout), or whose try crashed after SMTP had
-- started, may have been delivered. It is 'uncertain': never sent again on
-- its own; the sender looks for a copy the server filed in the Sent folder
-- now and then (sent_checks so far, the next one at next_attempt_at), and a
-- person marks it delivered or asks to send it again.
ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'uncertain'));
ALTER TABLE outbox
    ADD COLUMN uncertain_at timestamptz,
    ADD COLUMN sent_checks  integer NOT NULL DEFAULT 0;
CREATE INDEX outbox_uncertain_idx ON outbox (next_attempt_at, id) WHERE state = 'uncertain';
