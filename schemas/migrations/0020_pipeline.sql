-- The pipeline's record on each message: how it was classified, which rules
-- fired and why it ended as it did, also for messages that got no draft.
ALTER TABLE messages ADD COLUMN pipeline jsonb NOT NULL DEFAULT '{}';
ALTER TABLE messages ADD COLUMN language text;

ALTER TABLE drafts ADD COLUMN language text;
ALTER TABLE drafts ADD COLUMN notes jsonb NOT NULL DEFAULT '[]';
ALTER TABLE drafts ADD COLUMN shadow jsonb;

-- The classifier learns from reviewer decisions: this view is its training set.
CREATE VIEW classifier_examples AS
    SELECT d.id, m.subject, m.text_body,
           COALESCE(d.corrected_category, d.category) AS category
      FROM drafts d JOIN messages m ON m.id = d.message_id
     WHERE (d.status IN ('approved', 'sent') AND d.category IS NOT NULL)
        OR d.corrected_category IS NOT NULL;
