-- Issue 14: raw mail is stored out of line without compression. Mail is
-- mostly base64 attachments and already-compressed formats that pglz tried
-- and failed to shrink (7.8% of all CPU at ingest); EXTERNAL skips the try.
-- Rows stored before keep their form; reading them is unchanged.
ALTER TABLE messages ALTER COLUMN raw SET STORAGE EXTERNAL;
