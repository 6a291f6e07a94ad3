-- Issue 14 (and 13): MIME parsing and screening run once, at ingest. The
-- parse is kept beside raw as one JSON document (agent/mime/mime_json.c) made
-- by parser version parsed_version; the pipeline reads it instead of parsing
-- raw again when the version and the limits match its own. raw stays the
-- source of truth: a row stored before this migration (parsed NULL), by an
-- older parser or under other limits is parsed from raw as before. Plain
-- text, not jsonb: nothing in SQL looks inside, and jsonb would cost a parse
-- on every insert and a conversion on every read.
ALTER TABLE messages ADD COLUMN parsed text, ADD COLUMN parsed_version integer;
