-- Issue 18: the Sent folder as the outbox found it (daemon/imap/imap_sent.c),
-- so /readyz and the page can say that a mailbox cannot file (or send)
-- replies before a reviewer wonders why one is stuck: the folder in use (how
-- it was found), or why there is none, and when it was last looked at.
ALTER TABLE mailboxes
    ADD COLUMN sent_folder     text,
    ADD COLUMN sent_how        text,
    ADD COLUMN sent_error      text,
    ADD COLUMN sent_checked_at timestamptz;
