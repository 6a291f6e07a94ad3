-- Issue 16 item 6, 0175's leftover: its three trigger functions (insert,
-- update, delete) repeated the same two upsert blocks. One function now
-- serves the three triggers: it first takes the statement's rows as one
-- signed set (the old rows' shares -1, the new rows' +1; for an UPDATE
-- only the drafts whose counted columns changed), then runs the two
-- upserts once over that set. What it writes is what the three wrote
-- (tests/integration/stats_rollup.sh and the review model's drift checks
-- compare the rollups with a rebuild from the drafts).
--
-- PostgreSQL allows a transition table only on a trigger for one event,
-- and a function may only name the transition tables its trigger has:
-- the first step is therefore per event (a few lines each); the upserts
-- are planned once and shared.

CREATE TYPE draft_rollup_change AS (
    s             int,
    category      text,
    reviewer      text,
    status        text,
    edit_distance float8,
    created_at    timestamptz,
    decided_at    timestamptz,
    origin        text
);

CREATE FUNCTION draft_rollup_on_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ch_rows draft_rollup_change[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(ROW(1, category, reviewer, status, edit_distance, created_at,
                             decided_at, origin)::draft_rollup_change)
        INTO ch_rows FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(ROW(-1, category, reviewer, status, edit_distance, created_at,
                             decided_at, origin)::draft_rollup_change)
        INTO ch_rows FROM old_rows;
    ELSE
        -- most updates (edits, claims' heartbeats) change nothing counted
        SELECT array_agg(u.c) INTO ch_rows
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES
            (ROW(-1, o.category, o.reviewer, o.status, o.edit_distance, o.created_at,
                 o.decided_at, o.origin)::draft_rollup_change),
            (ROW(1, n.category, n.reviewer, n.status, n.edit_distance, n.created_at,
                 n.decided_at, n.origin)::draft_rollup_change)) u(c)
        WHERE (o.category, o.reviewer, o.status, o.edit_distance, o.created_at, o.decided_at,
               o.origin)
              IS DISTINCT FROM (n.category, n.reviewer, n.status, n.edit_distance,
                                n.created_at, n.decided_at, n.origin);
    END IF;
    IF ch_rows IS NULL THEN
        RETURN NULL;
    END IF;
    WITH ch AS (SELECT * FROM unnest(ch_rows)),
         k AS (SELECT x.day, ch.category, sum(ch.s) AS drafted,
                      sum(ch.s * (ch.status = 'auto_sent')::int) AS auto_sent,
                      sum(ch.s * (ch.status IN ('pending', 'claimed'))::int) AS pending,
                      sum(ch.s * (ch.status = 'rejected')::int) AS rejected_any
               FROM ch CROSS JOIN LATERAL (VALUES ((ch.created_at AT TIME ZONE 'UTC')::date),
                                                  (NULL::date)) x(day)
               WHERE ch.origin = 'model' GROUP BY x.day, ch.category)
    INSERT INTO draft_rollup AS r (day, category, reviewer, shard, drafted, auto_sent, pending,
                                   rejected_any)
    SELECT day, category, NULL, (pg_backend_pid() % 64)::smallint, drafted, auto_sent, pending,
           rejected_any
    FROM k WHERE (drafted, auto_sent, pending, rejected_any) <> (0, 0, 0, 0)
    -- one lock order for every statement: two transactions upserting the
    -- same rows (a shared shard, one person) wait instead of deadlocking
    ORDER BY day, category
    ON CONFLICT ON CONSTRAINT draft_rollup_key DO UPDATE SET
        drafted = r.drafted + excluded.drafted, auto_sent = r.auto_sent + excluded.auto_sent,
        pending = r.pending + excluded.pending,
        rejected_any = r.rejected_any + excluded.rejected_any;
    -- people's decisions: none among the rows of most pipeline statements
    IF NOT EXISTS (SELECT 1 FROM unnest(ch_rows) c
                   WHERE c.reviewer IS NOT NULL AND c.reviewer <> 'auto') THEN
        RETURN NULL;
    END IF;
    WITH ch AS (SELECT * FROM unnest(ch_rows)),
         e AS (SELECT ch.*, ch.status IN ('approved', 'sent', 'failed', 'rejected') AS decided,
                      ch.status IN ('approved', 'sent', 'failed') AS appr
               FROM ch WHERE ch.origin = 'model' AND ch.reviewer IS NOT NULL
               AND ch.reviewer <> 'auto'),
         g AS (SELECT x.day, e.category, e.reviewer, sum(e.s * e.decided::int) AS reviewed,
                      sum(e.s * (e.status = 'rejected')::int) AS rejected,
                      sum(e.s * (e.edit_distance IS NOT NULL)::int) AS edit_n,
                      sum(e.s * coalesce(e.edit_distance::numeric, 0)) AS edit_sum,
                      sum(e.s * (e.appr AND e.edit_distance IS NOT NULL)::int) AS appr_edit_n,
                      sum(CASE WHEN e.appr THEN e.s * coalesce(e.edit_distance::numeric, 0)
                          ELSE 0 END) AS appr_edit_sum,
                      draft_rollup_hist_signed(CASE WHEN e.appr THEN
                          draft_rollup_edit_bucket(e.edit_distance) END, e.s) AS edit_hist,
                      draft_rollup_hist_signed(CASE WHEN e.decided THEN draft_rollup_secs_bucket(
                          extract(epoch FROM e.decided_at - e.created_at)::float8) END, e.s)
                          AS secs_hist
               FROM e CROSS JOIN LATERAL (VALUES ((e.decided_at AT TIME ZONE 'UTC')::date, false),
                                                 (NULL::date, true)) x(day, total)
               -- a decision without a time has no day row (only its total)
               WHERE (e.decided OR e.edit_distance IS NOT NULL)
               AND (x.total OR e.decided_at IS NOT NULL)
               GROUP BY x.day, e.category, e.reviewer)
    INSERT INTO draft_rollup AS r (day, category, reviewer, shard, reviewed, rejected, edit_n,
                                   edit_sum, appr_edit_n, appr_edit_sum, edit_hist, secs_hist)
    SELECT day, category, reviewer, 0, reviewed, rejected, edit_n, edit_sum, appr_edit_n,
           appr_edit_sum, edit_hist, secs_hist
    FROM g WHERE (reviewed, rejected, edit_n, edit_sum, appr_edit_n, appr_edit_sum) <> (0, 0, 0, 0, 0, 0)
       OR draft_rollup_hist_trim(edit_hist) <> '{}' OR draft_rollup_hist_trim(secs_hist) <> '{}'
    ORDER BY day, category, reviewer
    ON CONFLICT ON CONSTRAINT draft_rollup_key DO UPDATE SET
        reviewed = r.reviewed + excluded.reviewed, rejected = r.rejected + excluded.rejected,
        edit_n = r.edit_n + excluded.edit_n, edit_sum = r.edit_sum + excluded.edit_sum,
        appr_edit_n = r.appr_edit_n + excluded.appr_edit_n,
        appr_edit_sum = r.appr_edit_sum + excluded.appr_edit_sum,
        edit_hist = draft_rollup_hist_add(r.edit_hist, excluded.edit_hist),
        secs_hist = draft_rollup_hist_add(r.secs_hist, excluded.secs_hist);
    RETURN NULL;
END $$;

DROP TRIGGER drafts_rollup_ins ON drafts;
DROP TRIGGER drafts_rollup_del ON drafts;
DROP TRIGGER drafts_rollup_upd ON drafts;
CREATE TRIGGER drafts_rollup_ins AFTER INSERT ON drafts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION draft_rollup_on_change();
CREATE TRIGGER drafts_rollup_del AFTER DELETE ON drafts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION draft_rollup_on_change();
CREATE TRIGGER drafts_rollup_upd AFTER UPDATE ON drafts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION draft_rollup_on_change();
DROP FUNCTION draft_rollup_on_insert();
DROP FUNCTION draft_rollup_on_delete();
DROP FUNCTION draft_rollup_on_update();
