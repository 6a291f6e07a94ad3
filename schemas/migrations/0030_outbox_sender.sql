-- The outbox sender's lease: who holds a row while it is being sent (for
-- operators), backed by a session advisory lock taken by the sender so a row
-- left in 'sending' by a crashed process is recognised at once (see
-- daemon/outbox/outbox.c for the crash-safety rules).
ALTER TABLE outbox
    ADD COLUMN locked_by    text,
    ADD COLUMN locked_until timestamptz,
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now(),
    -- set (committed) right before the SMTP transaction of a try, cleared when
    -- the try failed: a crashed try with it set may have been accepted
    ADD COLUMN smtp_started_at timestamptz;

CREATE INDEX outbox_ready_idx ON outbox (next_attempt_at, id) WHERE state IN ('pending', 'sending');
