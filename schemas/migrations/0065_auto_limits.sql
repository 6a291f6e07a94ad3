-- The per-thread limit on automatic replies (daemon/store/store_auto_limit.c)
-- compares threads by their root: the first Message-ID in References (RFC
-- 5322 asks clients to keep it when they shorten the list), else the one in
-- In-Reply-To, else the message's own. Mails on one thread from different
-- people thus share a root even when none of them names the others.
CREATE FUNCTION draftd_thread_root(refs text, in_reply_to text, message_id text)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT lower(coalesce(substring(refs FROM '<[^<>]*>'), substring(in_reply_to FROM '<[^<>]*>'),
                         nullif(btrim(message_id), ''))) $$;
