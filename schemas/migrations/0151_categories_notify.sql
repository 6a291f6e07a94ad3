-- Issue 14: every pipeline connection keeps the categories it read (draft
-- and off rows; daemon/store/store_pipeline.c) and LISTENs on
-- draftd_categories; any change to the table, by any instance, the API or
-- the CLI, tells them to drop what they kept. The TTL stays as a bound.
CREATE FUNCTION draftd_categories_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('draftd_categories', '');
    RETURN NULL;
END $$;
CREATE TRIGGER categories_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION draftd_categories_notify();
