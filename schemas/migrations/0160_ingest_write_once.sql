-- Issue 14, ingest: what PostgreSQL spends per stored message.
--
-- 1. The texts ingest writes (the parse kept for the pipeline, the text,
--    the quoted history, the headers) are compressed with lz4 instead of
--    pglz when the server has lz4 (Debian's and most builds do): pglz was
--    the largest single item of the backend's CPU at ingest, and lz4 does
--    the same job in a fraction of it. Rows stored before keep their form;
--    reading either is the same to every query.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'
               AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE messages ALTER COLUMN parsed SET COMPRESSION lz4,
            ALTER COLUMN text_body SET COMPRESSION lz4,
            ALTER COLUMN quoted_text SET COMPRESSION lz4,
            ALTER COLUMN headers SET COMPRESSION lz4;
    END IF;
END $$;

-- 2. A PL/pgSQL row trigger costs every insert a copy of the whole row (raw
--    included) even when it changes nothing. The search vector's trigger
--    does nothing at insert for mail the pipeline will process (it is
--    indexed when the pipeline stores its language): at insert it now fires
--    only when it has work, for mail screened at ingest. Updates as before.
DROP TRIGGER messages_search_tsv ON messages;
CREATE TRIGGER messages_search_tsv_insert BEFORE INSERT ON messages FOR EACH ROW
    WHEN (NEW.language IS NOT NULL OR NEW.screen_reason IS NOT NULL)
    EXECUTE FUNCTION draftd_messages_tsv();
CREATE TRIGGER messages_search_tsv BEFORE UPDATE OF language, subject, text_body, sender
    ON messages FOR EACH ROW EXECUTE FUNCTION draftd_messages_tsv();
