-- Issue 16 item 6: GET /stats reads windows of time (the daily series, the
-- promotion evidence, the reviewers' speed, the first-response times);
-- without these indexes each was a scan of every draft or message ever
-- stored. Each index matches one statement's filter as written:
--   series:          created_at >= T OR decided_at >= T (a BitmapOr)
--   speed:           decided_at > T
--   promotion:       coalesce(decided_at, created_at) > T
--   first response:  messages.replied_at > T
CREATE INDEX drafts_created_at_idx ON drafts (created_at);
CREATE INDEX drafts_decided_at_idx ON drafts (decided_at) WHERE decided_at IS NOT NULL;
CREATE INDEX drafts_window_idx ON drafts ((coalesce(decided_at, created_at)));
CREATE INDEX messages_replied_at_idx ON messages (replied_at) WHERE replied_at IS NOT NULL;
