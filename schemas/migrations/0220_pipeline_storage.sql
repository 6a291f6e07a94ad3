-- Issue 14, the pipeline's PostgreSQL CPU per draft: how its two writes are
-- stored. Nothing here rewrites a table; rows stored before keep their form
-- and read the same.
--
-- 1. A draft row (body, facts, rule hits, flags, notes and its search
--    vector: about 3 KB) is past the 2 KB at which PostgreSQL compresses a
--    row's values with pglz and then moves them to the TOAST table: both
--    showed in the backend's profile of `process --once` (pglz 5.7%, the
--    TOAST insert 3%). A draft row now stays in its heap page as it is up
--    to the page's size (toast_tuple_target 8160), and what is still
--    compressed (a long body) uses lz4 where the server has it.
ALTER TABLE drafts SET (toast_tuple_target = 8160);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'
               AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE drafts ALTER COLUMN body SET COMPRESSION lz4,
            ALTER COLUMN final_body SET COMPRESSION lz4,
            ALTER COLUMN original_body SET COMPRESSION lz4,
            ALTER COLUMN facts SET COMPRESSION lz4,
            ALTER COLUMN rule_hits SET COMPRESSION lz4,
            ALTER COLUMN guardrail_flags SET COMPRESSION lz4,
            ALTER COLUMN decision_reasons SET COMPRESSION lz4,
            ALTER COLUMN notes SET COMPRESSION lz4,
            ALTER COLUMN shadow SET COMPRESSION lz4,
            ALTER COLUMN search_tsv SET COMPRESSION lz4;
        ALTER TABLE messages ALTER COLUMN pipeline SET COMPRESSION lz4;
    END IF;
END $$;

-- 2. The pipeline's update of a message (state, its record, language) is
--    a HOT update only when the new row version fits in the same heap page;
--    otherwise each of the 14 indexes of messages, the two GIN indexes
--    among them, gets an entry for it. At fillfactor 70 (0185) a page holds
--    about three ingested rows of ~1.8 KB and room for one new version of
--    ~2.7 KB (the row plus its pipeline record): 896 of 1,674 updates were
--    HOT in a 2,000-message bench run. At 50 all 1,674 were, for a heap 12%
--    larger (973 pages instead of 869). Pages written from now on.
ALTER TABLE messages SET (fillfactor = 50);
