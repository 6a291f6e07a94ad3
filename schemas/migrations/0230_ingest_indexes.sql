-- Issue 14, ingest: PostgreSQL writes every index of messages for every
-- stored message (a profile of `poll --once` puts a quarter of the ingest
-- backend's CPU in index inserts), so an index no statement reads is pure
-- cost. Checked against every statement of daemon/store and every SQL
-- function of the migrations:
--
-- 1. messages_message_id_idx (mailbox_id, message_id), from 0001: nothing
--    looks a message up by its Message-ID any more. Redeliveries are found
--    by content_sha256 (its own index), threads by thread_ids (GIN), the
--    auto-reply limit joins messages by id.
-- 2. messages_sender_lower_idx (lower(sender), id), from 0120: the
--    "same address" lookups (the thread page, the reply limits) compare
--    lower(sender) for equality and order by m.id + 0, so they never used
--    its second column; messages_thread_subject_idx (lower(sender),
--    thread_subject) has the same leading key and serves them.
DROP INDEX messages_message_id_idx;
DROP INDEX messages_sender_lower_idx;

-- 3. The search vector is the largest column still compressed with pglz
--    (the toaster compresses it when the row is past 2 kB after raw went
--    out of line): lz4, as 0160 did for the texts, where the server has it.
--    Rows stored before keep their form; reading either is the same.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'
               AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE messages ALTER COLUMN search_tsv SET COMPRESSION lz4,
            ALTER COLUMN attachments SET COMPRESSION lz4;
    END IF;
END $$;
