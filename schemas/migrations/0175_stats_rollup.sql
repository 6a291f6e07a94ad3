-- Issue 16 item 6: the all-time review counts and the daily series of GET
-- /stats read these rollups instead of every draft ever made.
--
-- One row holds what a set of drafts adds to the figures. "Creation" rows
-- (reviewer IS NULL) count drafts by their UTC creation day; "decision"
-- rows (reviewer = a person) count people's decisions by the UTC day of
-- the decision. total rows (day IS NULL) are the same figures over all
-- time, so the all-time answer sums a few rows per category and person.
-- Only drafts the model wrote count (origin = 'model'), as before.
--
-- Kept in step by a trigger on drafts: every statement that changes a
-- draft's status, category, reviewer, edit distance or times (approve,
-- reject, edit and send, an automatic send, a demotion's effects, a
-- supersede, a delete) takes the old row's share out and puts the new
-- row's in, inside the transaction that made the change. A rollup can
-- therefore never disagree with the drafts it sums (the view
-- draft_rollup_drift lists any group that does); draft_rollup_rebuild()
-- recomputes them from the drafts (draftd stats --rebuild).
--
-- The unchanged count depends on [agent] unchanged_threshold, so the edit
-- distances of approved drafts are kept as a histogram in 0.01 steps:
-- element i (1-based) counts edit distances in ((i-2)/100, (i-1)/100]
-- (element 1 is exactly 0, element 102 anything over 1), and "at most
-- t" is an exact sum for t a multiple of 0.01 (the config refuses other
-- values). Decision times (decided_at - created_at) are kept in
-- log-spaced buckets of ratio 1.1: element 1 is under a second, element
-- i >= 2 is [1.1^(i-2), 1.1^(i-1)) seconds; a median read from them is
-- within 5% (or 0.5 s) of the exact one.
--
-- Creation rows change with every draft the pipeline stores, from many
-- connections at once: they are spread over 64 shards by backend PID so
-- that concurrent workers do not queue on one row (readers sum the
-- shards; a shard may go negative when a draft is decided by another
-- connection than the one that stored it, the sum stays right). A
-- person's decision rows are written by that person's requests only and
-- have one shard.
CREATE TABLE draft_rollup (
    day           date,
    category      text,
    reviewer      text,
    shard         smallint NOT NULL DEFAULT 0,
    -- creation rows
    drafted       bigint NOT NULL DEFAULT 0,
    auto_sent     bigint NOT NULL DEFAULT 0,
    pending       bigint NOT NULL DEFAULT 0,   -- pending or claimed
    rejected_any  bigint NOT NULL DEFAULT 0,   -- rejected, by anyone
    -- decision rows
    reviewed      bigint NOT NULL DEFAULT 0,   -- approved, sent, failed or rejected
    rejected      bigint NOT NULL DEFAULT 0,
    edit_n        bigint NOT NULL DEFAULT 0,   -- edit distances known (any status)
    edit_sum      numeric NOT NULL DEFAULT 0,  -- numeric: shares subtract exactly
    appr_edit_n   bigint NOT NULL DEFAULT 0,   -- approved ones with a distance
    appr_edit_sum numeric NOT NULL DEFAULT 0,
    edit_hist     bigint[] NOT NULL DEFAULT '{}',
    secs_hist     bigint[] NOT NULL DEFAULT '{}',
    CONSTRAINT draft_rollup_key UNIQUE NULLS NOT DISTINCT (day, category, reviewer, shard)
);
CREATE INDEX draft_rollup_day_idx ON draft_rollup (day) WHERE day IS NOT NULL;

-- h with s added to element i (extended with zeros as needed); h when i is NULL.
CREATE FUNCTION draft_rollup_bump(h bigint[], i int, s bigint) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n int := coalesce(array_length(h, 1), 0);
BEGIN
    IF i IS NULL THEN
        RETURN h;
    END IF;
    IF i > n THEN
        h := h || array_fill(0::bigint, ARRAY[i - n]);
    END IF;
    h[i] := h[i] + s;
    RETURN h;
END $$;

-- The histogram element of an edit distance (see above). The distance is
-- rounded to 9 decimals first so that 0.05 stored as a double (a hair
-- over 0.05) lands with 0.05.
CREATE FUNCTION draft_rollup_edit_bucket(ed float8) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ed IS NULL THEN NULL
                ELSE least(101, greatest(0, ceil(round((ed * 100)::numeric, 9))))::int + 1 END
$$;

CREATE FUNCTION draft_rollup_secs_bucket(secs float8) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN secs IS NULL THEN NULL
                WHEN secs < 1 THEN 1
                ELSE least(241, 2 + floor(ln(secs) / ln(1.1::float8))::int) END
$$;

-- The geometric middle of decision-time bucket i, in seconds.
CREATE FUNCTION draft_rollup_secs_mid(i int) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN i = 1 THEN 0.5 ELSE exp(ln(1.1::float8) * (i - 1.5)) END
$$;

-- The value at fraction q (0..1) of a decision-time histogram, as
-- percentile_cont interpolates between the two ranks around it, each rank
-- read as its bucket's geometric middle (0.5 s for the first).
CREATE FUNCTION draft_rollup_secs_quantile(h bigint[], q float8) RETURNS float8
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n int := coalesce(array_length(h, 1), 0);
    total bigint := 0;
    rank float8;
    lo_r bigint;
    cum bigint := 0;
    lo_i int;
    hi_i int;
    i int;
BEGIN
    FOR i IN 1 .. n LOOP
        total := total + h[i];
    END LOOP;
    IF total <= 0 THEN
        RETURN NULL;
    END IF;
    rank := q * (total - 1);
    lo_r := floor(rank);
    -- ranks are 0-based: bucket i holds ranks cum .. cum + h[i] - 1
    FOR i IN 1 .. n LOOP
        IF lo_i IS NULL AND cum + h[i] > lo_r THEN
            lo_i := i;
        END IF;
        IF cum + h[i] > lo_r + 1 THEN
            hi_i := i;
            EXIT;
        END IF;
        cum := cum + h[i];
    END LOOP;
    hi_i := coalesce(hi_i, lo_i);
    RETURN draft_rollup_secs_mid(lo_i)
           + (rank - lo_r) * (draft_rollup_secs_mid(hi_i) - draft_rollup_secs_mid(lo_i));
END $$;

-- Element-wise sum of histograms (an aggregate over rollup rows); the
-- state is changed in place, element by element (no calls per element:
-- the statistics pages sum a few thousand of them).
CREATE FUNCTION draft_rollup_hist_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    na int := coalesce(array_length(a, 1), 0);
    nb int := coalesce(array_length(b, 1), 0);
    i int;
BEGIN
    IF a IS NULL THEN
        RETURN b;
    END IF;
    IF nb > na THEN
        a := a || array_fill(0::bigint, ARRAY[nb - na]);
    END IF;
    FOR i IN 1 .. nb LOOP
        a[i] := a[i] + b[i];
    END LOOP;
    RETURN a;
END $$;
CREATE AGGREGATE draft_rollup_hist_sum(bigint[]) (SFUNC = draft_rollup_hist_add, STYPE = bigint[]);

-- The histogram of bucket numbers (NULLs left out), for the rebuild.
CREATE FUNCTION draft_rollup_count_into(h bigint[], i int) RETURNS bigint[]
LANGUAGE sql IMMUTABLE AS $$ SELECT draft_rollup_bump(h, i, 1) $$;
CREATE AGGREGATE draft_rollup_hist_of(int) (SFUNC = draft_rollup_count_into, STYPE = bigint[],
                                            INITCOND = '{}');

-- Sum of the first n elements of h (the unchanged count at threshold n-1 hundredths).
CREATE FUNCTION draft_rollup_hist_head(h bigint[], n int) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    t bigint := 0;
    i int;
BEGIN
    FOR i IN 1 .. least(n, coalesce(array_length(h, 1), 0)) LOOP
        t := t + h[i];
    END LOOP;
    RETURN t;
END $$;

-- The signed histogram of bucket numbers: adds s at element i per row.
CREATE FUNCTION draft_rollup_count_signed(h bigint[], i int, s int) RETURNS bigint[]
LANGUAGE sql IMMUTABLE AS $$ SELECT draft_rollup_bump(h, i, s) $$;
CREATE AGGREGATE draft_rollup_hist_signed(int, int) (SFUNC = draft_rollup_count_signed,
                                                     STYPE = bigint[], INITCOND = '{}');

-- h without its trailing zeros (a histogram that lost its top counts).
CREATE FUNCTION draft_rollup_hist_trim(h bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n int := coalesce(array_length(h, 1), 0);
BEGIN
    WHILE n > 0 AND h[n] = 0 LOOP
        n := n - 1;
    END LOOP;
    RETURN CASE WHEN n = 0 THEN '{}'::bigint[] ELSE h[1:n] END;
END $$;

-- The triggers are per statement, over the statement's transition tables:
-- the old rows' shares taken out (-1) and the new rows' put in (+1), summed
-- per rollup row first, one set-based upsert per statement. Row triggers
-- were cheaper for one draft (0.3 against 0.7 ms per stored draft) but
-- upserted the same rollup row once per draft, and a statement that
-- stores or changes many drafts (a bulk copy, a mass release of claims)
-- then walks ever longer chains of that row's versions: 10,000 drafts in
-- one INSERT took 7.4 s with them, 0.37 s with these.
-- INSERT: the new drafts' shares.
CREATE FUNCTION draft_rollup_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH ch AS (SELECT 1 AS s, category, reviewer, status, edit_distance, created_at, decided_at, origin FROM new_rows),
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
    IF NOT EXISTS (SELECT 1 FROM new_rows WHERE reviewer IS NOT NULL AND reviewer <> 'auto') THEN
        RETURN NULL;
    END IF;
    WITH ch AS (SELECT 1 AS s, category, reviewer, status, edit_distance, created_at, decided_at, origin FROM new_rows),
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

-- DELETE: the deleted drafts' shares out.
CREATE FUNCTION draft_rollup_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH ch AS (SELECT -1 AS s, category, reviewer, status, edit_distance, created_at, decided_at, origin FROM old_rows),
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
    ORDER BY day, category
    ON CONFLICT ON CONSTRAINT draft_rollup_key DO UPDATE SET
        drafted = r.drafted + excluded.drafted, auto_sent = r.auto_sent + excluded.auto_sent,
        pending = r.pending + excluded.pending,
        rejected_any = r.rejected_any + excluded.rejected_any;
    -- people's decisions: none among the rows of most pipeline statements
    IF NOT EXISTS (SELECT 1 FROM old_rows WHERE reviewer IS NOT NULL AND reviewer <> 'auto') THEN
        RETURN NULL;
    END IF;
    WITH ch AS (SELECT -1 AS s, category, reviewer, status, edit_distance, created_at, decided_at, origin FROM old_rows),
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

-- UPDATE: only drafts whose counted columns changed (edits, claims'
-- heartbeats and the like change none).
CREATE FUNCTION draft_rollup_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- most updates (edits, claims' heartbeats) change nothing counted
    IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                   WHERE (o.category, o.reviewer, o.status, o.edit_distance, o.created_at,
                          o.decided_at, o.origin)
                         IS DISTINCT FROM (n.category, n.reviewer, n.status, n.edit_distance,
                                           n.created_at, n.decided_at, n.origin)) THEN
        RETURN NULL;
    END IF;
    WITH ch AS (SELECT u.* FROM old_rows o JOIN new_rows n ON n.id = o.id
                CROSS JOIN LATERAL (VALUES (-1, o.category, o.reviewer, o.status, o.edit_distance, o.created_at, o.decided_at, o.origin), (1, n.category, n.reviewer, n.status, n.edit_distance, n.created_at, n.decided_at, n.origin))
                    u(s, category, reviewer, status, edit_distance, created_at, decided_at, origin)
                WHERE (o.category, o.reviewer, o.status, o.edit_distance, o.created_at, o.decided_at, o.origin) IS DISTINCT FROM (n.category, n.reviewer, n.status, n.edit_distance, n.created_at, n.decided_at, n.origin)),
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
    ORDER BY day, category
    ON CONFLICT ON CONSTRAINT draft_rollup_key DO UPDATE SET
        drafted = r.drafted + excluded.drafted, auto_sent = r.auto_sent + excluded.auto_sent,
        pending = r.pending + excluded.pending,
        rejected_any = r.rejected_any + excluded.rejected_any;
    -- people's decisions: none among the rows of most pipeline statements
    IF NOT EXISTS (SELECT 1 FROM old_rows WHERE reviewer IS NOT NULL AND reviewer <> 'auto')
       AND NOT EXISTS (SELECT 1 FROM new_rows WHERE reviewer IS NOT NULL AND reviewer <> 'auto') THEN
        RETURN NULL;
    END IF;
    WITH ch AS (SELECT u.* FROM old_rows o JOIN new_rows n ON n.id = o.id
                CROSS JOIN LATERAL (VALUES (-1, o.category, o.reviewer, o.status, o.edit_distance, o.created_at, o.decided_at, o.origin), (1, n.category, n.reviewer, n.status, n.edit_distance, n.created_at, n.decided_at, n.origin))
                    u(s, category, reviewer, status, edit_distance, created_at, decided_at, origin)
                WHERE (o.category, o.reviewer, o.status, o.edit_distance, o.created_at, o.decided_at, o.origin) IS DISTINCT FROM (n.category, n.reviewer, n.status, n.edit_distance, n.created_at, n.decided_at, n.origin)),
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

CREATE FUNCTION draft_rollup_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE draft_rollup;
    RETURN NULL;
END $$;

CREATE TRIGGER drafts_rollup_ins AFTER INSERT ON drafts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION draft_rollup_on_insert();
CREATE TRIGGER drafts_rollup_del AFTER DELETE ON drafts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION draft_rollup_on_delete();
CREATE TRIGGER drafts_rollup_upd AFTER UPDATE ON drafts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION draft_rollup_on_update();
CREATE TRIGGER drafts_rollup_truncate AFTER TRUNCATE ON drafts
    FOR EACH STATEMENT EXECUTE FUNCTION draft_rollup_on_truncate();

-- What the rollups must sum to, computed from the drafts (one row per
-- day, category and person, shard 0).
CREATE VIEW draft_rollup_expected AS
    SELECT k.day, d.category, NULL::text AS reviewer, 0::smallint AS shard, count(*) AS drafted,
           count(*) FILTER (WHERE d.status = 'auto_sent') AS auto_sent,
           count(*) FILTER (WHERE d.status IN ('pending', 'claimed')) AS pending,
           count(*) FILTER (WHERE d.status = 'rejected') AS rejected_any,
           0::bigint AS reviewed, 0::bigint AS rejected, 0::bigint AS edit_n, 0::numeric AS edit_sum,
           0::bigint AS appr_edit_n, 0::numeric AS appr_edit_sum, '{}'::bigint[] AS edit_hist,
           '{}'::bigint[] AS secs_hist
    FROM drafts d CROSS JOIN LATERAL (VALUES ((d.created_at AT TIME ZONE 'UTC')::date),
                                             (NULL::date)) k(day)
    WHERE d.origin = 'model' GROUP BY k.day, d.category
    UNION ALL
    SELECT k.day, e.category, e.reviewer, 0::smallint, 0, 0, 0, 0,
           count(*) FILTER (WHERE e.decided), count(*) FILTER (WHERE e.status = 'rejected'),
           count(e.edit_distance), coalesce(sum(e.edit_distance::numeric), 0),
           count(e.edit_distance) FILTER (WHERE e.appr),
           coalesce(sum(e.edit_distance::numeric) FILTER (WHERE e.appr), 0),
           draft_rollup_hist_of(CASE WHEN e.appr THEN draft_rollup_edit_bucket(e.edit_distance) END),
           draft_rollup_hist_of(CASE WHEN e.decided THEN draft_rollup_secs_bucket(
               extract(epoch FROM e.decided_at - e.created_at)::float8) END)
    FROM (SELECT d.*, d.status IN ('approved', 'sent', 'failed', 'rejected') AS decided,
                 d.status IN ('approved', 'sent', 'failed') AS appr
          FROM drafts d WHERE d.origin = 'model' AND d.reviewer IS NOT NULL
          AND d.reviewer <> 'auto') e
    CROSS JOIN LATERAL (VALUES ((e.decided_at AT TIME ZONE 'UTC')::date, false),
                               (NULL::date, true)) k(day, total)
    WHERE (e.decided OR e.edit_distance IS NOT NULL) AND (k.total OR e.decided_at IS NOT NULL)
    GROUP BY k.day, e.category, e.reviewer;

-- The (day, category, reviewer) groups whose rollups (summed over shards)
-- differ from what the drafts give: empty unless something bypassed the
-- trigger. SELECT * FROM draft_rollup_drift; draftd stats --rebuild mends it.
CREATE VIEW draft_rollup_drift AS
    WITH a AS (SELECT day, category, reviewer, sum(drafted) AS drafted, sum(auto_sent) AS auto_sent,
                      sum(pending) AS pending, sum(rejected_any) AS rejected_any,
                      sum(reviewed) AS reviewed, sum(rejected) AS rejected, sum(edit_n) AS edit_n,
                      sum(edit_sum) AS edit_sum, sum(appr_edit_n) AS appr_edit_n,
                      sum(appr_edit_sum) AS appr_edit_sum,
                      draft_rollup_hist_trim(draft_rollup_hist_sum(edit_hist)) AS edit_hist,
                      draft_rollup_hist_trim(draft_rollup_hist_sum(secs_hist)) AS secs_hist
               FROM draft_rollup GROUP BY day, category, reviewer),
         e AS (SELECT day, category, reviewer, sum(drafted) AS drafted, sum(auto_sent) AS auto_sent,
                      sum(pending) AS pending, sum(rejected_any) AS rejected_any,
                      sum(reviewed) AS reviewed, sum(rejected) AS rejected, sum(edit_n) AS edit_n,
                      sum(edit_sum) AS edit_sum, sum(appr_edit_n) AS appr_edit_n,
                      sum(appr_edit_sum) AS appr_edit_sum,
                      draft_rollup_hist_trim(draft_rollup_hist_sum(edit_hist)) AS edit_hist,
                      draft_rollup_hist_trim(draft_rollup_hist_sum(secs_hist)) AS secs_hist
               FROM draft_rollup_expected GROUP BY day, category, reviewer),
         -- a group whose shares all cancelled out is no group
         a1 AS (SELECT * FROM a WHERE (drafted, auto_sent, pending, rejected_any, reviewed,
                rejected, edit_n, edit_sum, appr_edit_n, appr_edit_sum, edit_hist, secs_hist)
                IS DISTINCT FROM (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '{}'::bigint[], '{}'::bigint[]))
    SELECT DISTINCT day, category, reviewer
    FROM ((SELECT * FROM a1 EXCEPT SELECT * FROM e) UNION ALL
          (SELECT * FROM e EXCEPT SELECT * FROM a1)) x;

-- Recomputes every rollup from the drafts; the lock keeps writers of
-- drafts out until the caller's transaction ends. Returns the number of
-- rows written.
CREATE FUNCTION draft_rollup_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    LOCK TABLE drafts IN SHARE MODE;
    DELETE FROM draft_rollup;
    INSERT INTO draft_rollup SELECT * FROM draft_rollup_expected;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

SELECT draft_rollup_rebuild();
