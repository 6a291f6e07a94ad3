-- Issue 14: the pipeline's update of a message no longer rebuilds its
-- search vector.
--
-- Ingest now stores the language the pipeline will detect (the same guess
-- from the same parse), so the insert trigger of 0160 builds the vector
-- once, as the row arrives. The pipeline still writes the language it
-- drafted in; the vector is rebuilt only when that value differs from the
-- stored one (rows stored before this change, language NULL; a message the
-- pipeline parsed from raw). An update that leaves the language as it was
-- changes no indexed column, so PostgreSQL can make it a HOT update.
--
-- "UPDATE OF language" fires whenever the column is in the SET list, equal
-- or not, hence the WHEN. Text, subject and sender keep their trigger as
-- before (nothing updates them today; comparing a long text_body in a WHEN
-- would cost what it saves). An update changing both fires both: the
-- vector is the same either way.
DROP TRIGGER messages_search_tsv ON messages;
CREATE TRIGGER messages_search_tsv BEFORE UPDATE OF subject, text_body, sender
    ON messages FOR EACH ROW EXECUTE FUNCTION draftd_messages_tsv();
CREATE TRIGGER messages_search_tsv_language BEFORE UPDATE OF language ON messages
    FOR EACH ROW WHEN (OLD.language IS DISTINCT FROM NEW.language)
    EXECUTE FUNCTION draftd_messages_tsv();

-- Room in each heap page for the pipeline's update of the rows it holds:
-- without it the new row version goes to another page and every index of
-- messages (the search vector's GIN index included) gets an entry for it.
ALTER TABLE messages SET (fillfactor = 70);
