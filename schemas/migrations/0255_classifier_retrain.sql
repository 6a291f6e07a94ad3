-- Issue 14: the classifier's retrain (worker 0, at start and every 300 s)
-- read classifier_examples newest first, and with nothing to find them by
-- PostgreSQL read every draft to keep the few reviewers decided on (a
-- sequential scan of 100,000 drafts, about 200 ms, for 300 examples).
--
-- 1. An index of exactly the view's rows (its WHERE, written the same way,
--    so the planner proves the view's rows are in it), ordered by id: the
--    retrain reads the rows it returns and no others.
CREATE INDEX drafts_classifier_idx ON drafts (id)
    WHERE origin = 'model'
      AND ((status IN ('approved', 'sent') AND category IS NOT NULL)
           OR corrected_category IS NOT NULL);

-- 2. The examples' generation: a number that changes whenever a statement
--    adds a draft to the view, takes one out of it or changes its category
--    (an approval, a rejection with a correction, an undone approval, a
--    failed send, a deletion, a TRUNCATE). Worker 0 reads it (a few rows)
--    and retrains only when it moved. The rows are bumped by the changing
--    transaction, so the new number is seen exactly when the change is.
--    Shards by backend, as draft_rollup does, so that two reviewers'
--    decisions do not wait for each other on one row; the generation is
--    their sum.
CREATE TABLE classifier_generation (
    shard smallint PRIMARY KEY,
    n     bigint NOT NULL
);

-- The category a draft teaches the classifier, NULL when it is no example:
-- classifier_examples' rule for one row.
CREATE FUNCTION classifier_example_category(origin text, status text, category text,
                                            corrected_category text)
    RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN origin = 'model'
                 AND ((status IN ('approved', 'sent') AND category IS NOT NULL)
                      OR corrected_category IS NOT NULL)
           THEN coalesce(corrected_category, category) END
$$;

CREATE FUNCTION classifier_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO classifier_generation AS g (shard, n)
    VALUES ((pg_backend_pid() % 16)::smallint, 1)
    ON CONFLICT (shard) DO UPDATE SET n = g.n + 1;
    RETURN NULL;
END $$;

-- Row triggers with a WHEN: the pipeline's inserts and most updates (edits,
-- claims, pending drafts) never enter the function.
CREATE TRIGGER drafts_classifier_ins AFTER INSERT ON drafts FOR EACH ROW
    WHEN (classifier_example_category(NEW.origin, NEW.status, NEW.category,
                                      NEW.corrected_category) IS NOT NULL)
    EXECUTE FUNCTION classifier_generation_bump();
CREATE TRIGGER drafts_classifier_upd AFTER UPDATE ON drafts FOR EACH ROW
    WHEN (classifier_example_category(OLD.origin, OLD.status, OLD.category,
                                      OLD.corrected_category)
          IS DISTINCT FROM classifier_example_category(NEW.origin, NEW.status, NEW.category,
                                                       NEW.corrected_category)
          OR (OLD.message_id <> NEW.message_id
              AND classifier_example_category(NEW.origin, NEW.status, NEW.category,
                                              NEW.corrected_category) IS NOT NULL))
    EXECUTE FUNCTION classifier_generation_bump();
CREATE TRIGGER drafts_classifier_del AFTER DELETE ON drafts FOR EACH ROW
    WHEN (classifier_example_category(OLD.origin, OLD.status, OLD.category,
                                      OLD.corrected_category) IS NOT NULL)
    EXECUTE FUNCTION classifier_generation_bump();
CREATE TRIGGER drafts_classifier_truncate AFTER TRUNCATE ON drafts
    FOR EACH STATEMENT EXECUTE FUNCTION classifier_generation_bump();
