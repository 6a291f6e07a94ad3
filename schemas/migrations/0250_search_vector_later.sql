-- Issue 14, ingest: the search vector leaves the insert path.
--
-- Since 0185 ingest stored each message's language and the insert trigger
-- built its search vector in the COPY (to_tsvector four times per row plus
-- PL/pgSQL's call and a copy of the whole row, raw included: 27% of the
-- ingest backend's CPU). The vector now lives in a table of its own, one
-- row per message, written where the message's row is written anyway after
-- ingest:
--
-- * a message that gets a pipeline job: by the statement that stores the
--   pipeline's result (store_batch_rows.c, store_pipeline_finish.c) or its
--   failed attempt (store_jobs.c). A new mail is found by search once the
--   agent has read it (README "Search").
-- * a message that gets no job (screened at ingest, a redelivery): by a
--   set-based statement in ingest's batch transaction, so it is found as it
--   arrives, as before.
--
-- Why a table and not the column of messages set by the pipeline's UPDATE:
-- the vector is indexed, so setting it makes that UPDATE non-HOT and every
-- index of messages gets an entry for the new row version. Measured on
-- 2,000 ingested mails (backend CPU, load 6-7): the pipeline's UPDATE alone
-- 0.05 s (HOT), the vectors alone 0.13 s, the UPDATE setting the column
-- 0.23-0.27 s, the UPDATE plus an INSERT here 0.18-0.21 s.
--
-- No foreign key: messages rows are never deleted, and its check would
-- cost each insert more than the insert itself; the search joins by id.
CREATE TABLE message_search (
    message_id bigint PRIMARY KEY,
    search_tsv tsvector NOT NULL
);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'
               AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE message_search ALTER COLUMN search_tsv SET COMPRESSION lz4;
    END IF;
END $$;

-- Every vector stored so far moves as it is (the same function of the same
-- columns); rows the pipeline has not stored yet have none and get theirs
-- from it; a row the pipeline is done with that still has none (its job
-- died before 0185 gave ingest the language) gets one now.
INSERT INTO message_search (message_id, search_tsv)
SELECT id, coalesce(search_tsv, draftd_ts_vector(language, subject, text_body, sender))
  FROM messages
 WHERE search_tsv IS NOT NULL OR state <> 'new' OR screen_reason IS NOT NULL;
CREATE INDEX message_search_idx ON message_search USING gin (search_tsv);

-- The vector of a message whose text, sender or language changes after it
-- was indexed is rebuilt, as the triggers of 0120/0185 did on the column
-- (nothing changes the text today; the pipeline changes the language of a
-- row stored before 0185, or when it does not agree with ingest's guess).
-- A row not indexed yet is left to its writer.
CREATE FUNCTION draftd_message_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE message_search
       SET search_tsv = draftd_ts_vector(NEW.language, NEW.subject, NEW.text_body, NEW.sender)
     WHERE message_id = NEW.id;
    RETURN NULL;
END $$;
DROP TRIGGER messages_search_tsv_insert ON messages;
DROP TRIGGER messages_search_tsv ON messages;
DROP TRIGGER messages_search_tsv_language ON messages;
DROP FUNCTION draftd_messages_tsv();
CREATE TRIGGER messages_search_text AFTER UPDATE OF subject, text_body, sender
    ON messages FOR EACH ROW EXECUTE FUNCTION draftd_message_search_update();
CREATE TRIGGER messages_search_language AFTER UPDATE OF language ON messages
    FOR EACH ROW WHEN (OLD.language IS DISTINCT FROM NEW.language)
    EXECUTE FUNCTION draftd_message_search_update();

-- The column goes (its GIN index with it): ingest writes neither.
ALTER TABLE messages DROP COLUMN search_tsv;
