-- Issue 16 items 2-5, the reviewer's workspace: internal notes on a message,
-- snippets (saved replies), assignment to a person, and full-text search over
-- messages and replies. The thread and the customer's history need no table:
-- they are read from messages' Message-ID, In-Reply-To and References.

-- Assignment: who looks after a message. A person's login or API token name
-- (whoever the request was made as); NULL is "anyone". Every change is an
-- audit row (message.assign with before/after).
ALTER TABLE messages
    ADD COLUMN assigned_to text CHECK (assigned_to IS NULL OR btrim(assigned_to) <> ''),
    ADD COLUMN assigned_at timestamptz,
    ADD COLUMN assigned_by text,
    -- set when round robin assigned it: it does so once per message, so a
    -- message someone gave back is not handed out again by a regeneration
    ADD COLUMN round_robin_at timestamptz;
CREATE INDEX messages_assigned_idx ON messages (assigned_to, id) WHERE assigned_to IS NOT NULL;

-- Round-robin assignment per category ([category NAME] assign = round_robin):
-- the last person a message of the category went to, so the next one goes
-- to the person after them. One row per category, updated under its lock.
CREATE TABLE assign_rotation (
    category   text PRIMARY KEY,
    last_person text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Internal notes: for colleagues, never part of a reply nor of a prompt
-- (nothing in the pipeline or the outbox reads this table).
CREATE TABLE message_notes (
    id         bigserial PRIMARY KEY,
    message_id bigint NOT NULL REFERENCES messages (id),
    author     text NOT NULL,
    body       text NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 10000),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_notes_message_idx ON message_notes (message_id, id);

-- Snippets: saved replies written in the reply templates' language
-- (agent/template/template.h), filled from a draft's facts when inserted.
-- One text per name and language; admins manage them.
CREATE TABLE snippets (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    language   text NOT NULL CHECK (language ~ '^[a-z]{2}$'),
    title      text NOT NULL DEFAULT '' CHECK (length(title) <= 200),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    updated_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT snippets_name_language_key UNIQUE (name, language)
);

-- Search: the text search configuration of a message's language (stems
-- German "Lieferungen" to "lieferung"); any other language is split into
-- words without stemming. Immutable, so it can feed stored columns.
CREATE FUNCTION draftd_ts_config(lang text) RETURNS regconfig
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE lang WHEN 'en' THEN 'english'::regconfig
                     WHEN 'de' THEN 'german'::regconfig
                     WHEN 'es' THEN 'spanish'::regconfig
                     WHEN 'fr' THEN 'french'::regconfig
                     ELSE 'simple'::regconfig END $$;

-- The searchable words of a text in its language, bounded: a tsvector holds
-- at most 1 MB, so only the first 200,000 characters are indexed. The words
-- are also kept unstemmed ('simple'), and so are the sender's address and
-- domain (an email and a host token): order numbers, SKUs ('so' <-> '-204518'),
-- addresses and domains are found through the same index.
CREATE FUNCTION draftd_ts_vector(lang text, subject text, body text, who text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector(draftd_ts_config(lang), left(coalesce(subject, ''), 2000)), 'A')
        || to_tsvector(draftd_ts_config(lang), left(coalesce(body, ''), 200000))
        || to_tsvector('simple', left(coalesce(subject, ''), 2000) || ' ' || left(coalesce(body, ''), 200000))
        || to_tsvector('simple', left(coalesce(who, ''), 400) || ' ' || split_part(left(coalesce(who, ''), 400), '@', 2)) $$;

-- Kept by triggers that fire only when the text or its language is written,
-- so the pipeline's many state updates do not recompute it.
ALTER TABLE messages ADD COLUMN search_tsv tsvector;
ALTER TABLE drafts ADD COLUMN search_tsv tsvector;

-- A message the pipeline will process is indexed when the pipeline stores
-- its language (one pass, in the right language; about 0.3 ms of database
-- CPU for a 1 KB mail); one screened at ingest never gets there, so it is
-- indexed as it arrives.
CREATE FUNCTION draftd_messages_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.language IS NULL AND NEW.screen_reason IS NULL THEN
        NEW.search_tsv := NULL;
    ELSE
        NEW.search_tsv := draftd_ts_vector(NEW.language, NEW.subject, NEW.text_body, NEW.sender);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER messages_search_tsv BEFORE INSERT OR UPDATE OF language, subject, text_body, sender
    ON messages FOR EACH ROW EXECUTE FUNCTION draftd_messages_tsv();

CREATE FUNCTION draftd_drafts_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_tsv := draftd_ts_vector(NEW.language, NEW.subject, coalesce(NEW.final_body, NEW.body), NULL);
    RETURN NEW;
END $$;
CREATE TRIGGER drafts_search_tsv BEFORE INSERT OR UPDATE OF language, subject, body, final_body
    ON drafts FOR EACH ROW EXECUTE FUNCTION draftd_drafts_tsv();

UPDATE messages SET search_tsv = draftd_ts_vector(language, subject, text_body, sender);
UPDATE drafts SET search_tsv = draftd_ts_vector(language, subject, coalesce(final_body, body), NULL);
CREATE INDEX messages_search_idx ON messages USING gin (search_tsv);
CREATE INDEX drafts_search_idx ON drafts USING gin (search_tsv);

-- The thread: every Message-ID a message names (its own, In-Reply-To,
-- References) without the angle brackets, and its subject without reply and
-- forward prefixes in the languages served (Re:, AW:, Fwd:, WG:, RV:, TR:,
-- SV:, Antw:), for mail that lost its headers. Kept by a trigger that fires
-- only when those headers change.
CREATE FUNCTION draftd_msgid_list(v text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT x[1]) FILTER (WHERE x[1] <> ''), '{}')
      FROM regexp_matches(left(coalesce(v, ''), 20000), '<?([^<>\s,]+@[^<>\s,]+)>?', 'g') AS x $$;
CREATE FUNCTION draftd_thread_subject(v text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT btrim(regexp_replace(lower(left(coalesce(v, ''), 998)),
        '^(\s*((re|aw|fwd?|wg|sv|tr|rv|r|antw|ref)(\s*\[\d+\])?\s*:|\[[^]]*\]))+', '')) $$;

ALTER TABLE messages
    ADD COLUMN thread_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN thread_subject text NOT NULL DEFAULT '';
CREATE FUNCTION draftd_messages_thread() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.thread_ids := draftd_msgid_list(coalesce(NEW.message_id, '') || ' ' ||
        coalesce(NEW.in_reply_to, '') || ' ' || coalesce(NEW."references", ''));
    NEW.thread_subject := draftd_thread_subject(NEW.subject);
    RETURN NEW;
END $$;
CREATE TRIGGER messages_thread BEFORE INSERT OR UPDATE OF message_id, in_reply_to, "references", subject
    ON messages FOR EACH ROW EXECUTE FUNCTION draftd_messages_thread();
UPDATE messages SET thread_ids = draftd_msgid_list(coalesce(message_id, '') || ' ' ||
        coalesce(in_reply_to, '') || ' ' || coalesce("references", '')),
    thread_subject = draftd_thread_subject(subject);
CREATE INDEX messages_thread_ids_idx ON messages USING gin (thread_ids);
CREATE INDEX messages_thread_subject_idx ON messages (lower(sender), thread_subject);

-- The customer's other conversations: by address, by domain.
-- sender is the From address (addr-spec) as ingest stored it.
CREATE INDEX messages_sender_lower_idx ON messages (lower(sender), id);
CREATE INDEX messages_sender_domain_idx ON messages (lower(split_part(sender, '@', 2)), id);
