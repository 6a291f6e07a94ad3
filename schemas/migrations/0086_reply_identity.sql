-- Issue 18: replies carry the customer's display name on To ("Sofía Núñez
-- <sofia@...>"), so it is kept at ingest (decoded from RFC 2047, UTF-8);
-- NULL for mail ingested before and mail without a name.
ALTER TABLE messages ADD COLUMN sender_name text;
