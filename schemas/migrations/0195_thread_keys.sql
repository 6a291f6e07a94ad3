-- Issue 14, ingest: the thread keys (thread_ids, thread_subject) come with
-- the row.
--
-- draftd computes them in C from the headers it parsed
-- (daemon/mail/mail_thread.c) and sends them in ingest's COPY, so the
-- PL/pgSQL row trigger of 0120 no longer runs for every stored message (it
-- cost each insert a copy of the whole row, raw included, and two regular
-- expressions). Any other writer still gets them from the trigger: the
-- columns lose their defaults, so an INSERT that does not name them hands
-- the trigger NULLs, which it fills before the NOT NULL check. An UPDATE
-- of the headers recomputes them as before.
--
-- For the C and the SQL forms to agree whatever the database's locale, the
-- functions now read their input under the "C" collation: whitespace and
-- digits are ASCII (a locale such as C.UTF-8 also splits Message-IDs at
-- U+3000 and friends), and lower() folds A-Z and, by an explicit table, the
-- Latin-1 capitals plus Œ and Ÿ (what en/de/es/fr subjects use) instead of
-- whatever the locale's case tables say. tests/unit/test_mail_thread.c
-- checks the two forms against each other over seeded random headers.
CREATE OR REPLACE FUNCTION draftd_msgid_list(v text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT x[1]) FILTER (WHERE x[1] <> ''), '{}')
      FROM regexp_matches(left(coalesce(v, ''), 20000) COLLATE "C",
                          '<?([^<>\s,]+@[^<>\s,]+)>?', 'g') AS x $$;
CREATE OR REPLACE FUNCTION draftd_thread_subject(v text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT btrim(regexp_replace(lower(translate(left(coalesce(v, ''), 998),
        'ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞŒŸ', 'àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþœÿ') COLLATE "C"),
        '^(\s*((re|aw|fwd?|wg|sv|tr|rv|r|antw|ref)(\s*\[\d+\])?\s*:|\[[^]]*\]))+', '')) $$;

ALTER TABLE messages ALTER COLUMN thread_ids DROP DEFAULT,
    ALTER COLUMN thread_subject DROP DEFAULT;
DROP TRIGGER messages_thread ON messages;
CREATE TRIGGER messages_thread_insert BEFORE INSERT ON messages FOR EACH ROW
    WHEN (NEW.thread_ids IS NULL OR NEW.thread_subject IS NULL)
    EXECUTE FUNCTION draftd_messages_thread();
CREATE TRIGGER messages_thread BEFORE UPDATE OF message_id, in_reply_to, "references", subject
    ON messages FOR EACH ROW EXECUTE FUNCTION draftd_messages_thread();

-- Rows stored before keep their keys unless the locale-free form differs
-- (a Message-ID with non-ASCII whitespace, a subject with capitals outside
-- the table): then they are recomputed, so old and new mail thread alike.
-- The ids are compared as sets: their order (sorted under the old
-- collation) means nothing to the thread's && lookups.
UPDATE messages SET thread_ids = k.ids, thread_subject = k.subj
  FROM (SELECT id, draftd_msgid_list(coalesce(message_id, '') || ' ' ||
               coalesce(in_reply_to, '') || ' ' || coalesce("references", '')) AS ids,
               draftd_thread_subject(subject) AS subj FROM messages) k
 WHERE k.id = messages.id
   AND (NOT (messages.thread_ids @> k.ids AND k.ids @> messages.thread_ids)
        OR messages.thread_subject IS DISTINCT FROM k.subj);
