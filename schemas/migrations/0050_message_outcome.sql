-- Issue 11: the customer's message is the unit of work (DESIGN.md "Data
-- model"). A message is open until it is replied (one reply left through
-- the outbox) or closed (a person decided no reply is needed, with a
-- reason); skipped mail is skipped. The database holds the invariants it can
-- express: at most one live draft and at most one reply per message, a
-- closed message has its reason.

ALTER TABLE messages
    ADD COLUMN replied_at      timestamptz,   -- the reply left the outbox
    ADD COLUMN reply_draft_id  bigint REFERENCES drafts(id),
    ADD COLUMN closed_at       timestamptz,
    ADD COLUMN closed_by       text,
    ADD COLUMN close_reason    text,
    -- why a person has to act now: a reviewer's reject, a send that failed,
    -- a reopen (shown as the reason under "Needs a human")
    ADD COLUMN human_reason    text,
    -- a reviewer's corrected category: the next draft is written for it
    ADD COLUMN forced_category text,
    -- a person reopened it: screening and skip rules no longer skip it
    ADD COLUMN reopened_at     timestamptz,
    ADD COLUMN reopened_by     text,
    ADD CONSTRAINT messages_close_reason CHECK (
        (closed_at IS NULL) = (close_reason IS NULL)
        AND (close_reason IS NULL OR btrim(close_reason) <> '')
        AND (closed_at IS NULL OR closed_by IS NOT NULL));

-- Derived, never written: it cannot disagree with the facts it sums up.
-- state stays the pipeline's stage (new ... drafted, human, failed).
ALTER TABLE messages ADD COLUMN status text GENERATED ALWAYS AS (
    CASE WHEN replied_at IS NOT NULL THEN 'replied'
         WHEN closed_at IS NOT NULL THEN 'closed'
         WHEN state = 'skipped' THEN 'skipped'
         ELSE 'open' END) STORED;
CREATE INDEX messages_open_idx ON messages (received_at, id) WHERE status = 'open';
CREATE INDEX messages_status_idx ON messages (status, id);

ALTER TABLE drafts DROP CONSTRAINT drafts_status_check;
ALTER TABLE drafts ADD CONSTRAINT drafts_status_check CHECK (status IN (
    'pending', 'claimed', 'approved', 'rejected', 'sent', 'auto_sent', 'failed', 'superseded'));
ALTER TABLE drafts
    -- follow_up: an explicit second reply to a replied message
    ADD COLUMN kind          text NOT NULL DEFAULT 'reply' CHECK (kind IN ('reply', 'follow_up')),
    -- person: written from scratch by a reviewer, not drafted by the model
    ADD COLUMN origin        text NOT NULL DEFAULT 'model' CHECK (origin IN ('model', 'person')),
    ADD COLUMN superseded_at timestamptz,
    ADD COLUMN superseded_by text,
    ADD COLUMN updated_by    text;           -- who saved the current version

-- Data from before this migration may break the invariants (regenerate used
-- to add a second pending draft): keep the newest live draft, supersede the
-- others; a second reply that already went out is recorded as what it was,
-- a follow-up.
UPDATE drafts d SET status = 'superseded', superseded_at = now(), superseded_by = 'migration'
 WHERE d.status IN ('pending', 'claimed', 'approved')
   AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.draft_id = d.id)
   AND EXISTS (SELECT 1 FROM drafts n WHERE n.message_id = d.message_id AND n.id > d.id
               AND n.status IN ('pending', 'claimed', 'approved'));
UPDATE drafts d SET kind = 'follow_up'
 WHERE d.status IN ('approved', 'sent', 'auto_sent')
   AND EXISTS (SELECT 1 FROM drafts e WHERE e.message_id = d.message_id AND e.id < d.id
               AND e.status IN ('approved', 'sent', 'auto_sent'));
UPDATE drafts d SET status = 'superseded', superseded_at = now(), superseded_by = 'migration'
 WHERE d.status IN ('pending', 'claimed')
   AND EXISTS (SELECT 1 FROM drafts n WHERE n.message_id = d.message_id AND n.id <> d.id
               AND n.status = 'approved');

-- At most one live draft per message: the one a reviewer works on or the
-- outbox is about to send. Regenerate, a composed reply and a close
-- supersede it first.
CREATE UNIQUE INDEX drafts_one_live ON drafts (message_id)
    WHERE status IN ('pending', 'claimed', 'approved');
-- At most one reply per message; a follow-up is the explicit exception. A
-- failed send (status failed) or an undone approval (pending again) is no
-- reply.
CREATE UNIQUE INDEX drafts_one_reply ON drafts (message_id)
    WHERE kind = 'reply' AND status IN ('approved', 'sent', 'auto_sent');

UPDATE messages m SET replied_at = r.at, reply_draft_id = r.id
  FROM (SELECT DISTINCT ON (d.message_id) d.message_id, d.id,
               coalesce(o.sent_at, d.decided_at, d.updated_at) AS at
          FROM drafts d LEFT JOIN outbox o ON o.draft_id = d.id
         WHERE d.status IN ('sent', 'auto_sent') AND d.kind = 'reply'
         ORDER BY d.message_id, d.id) r
 WHERE m.id = r.message_id;

-- The classifier learns from what reviewers confirmed about the model's
-- drafts; a reply a person wrote from scratch confirms nothing.
CREATE OR REPLACE VIEW classifier_examples AS
    SELECT d.id, m.subject, m.text_body,
           COALESCE(d.corrected_category, d.category) AS category
      FROM drafts d JOIN messages m ON m.id = d.message_id
     WHERE d.origin = 'model'
       AND ((d.status IN ('approved', 'sent') AND d.category IS NOT NULL)
            OR d.corrected_category IS NOT NULL);
