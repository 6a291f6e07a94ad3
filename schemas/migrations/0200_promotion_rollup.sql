-- Issue 16 item 6: the promotion evidence (GET /stats?parts=promotion, the
-- Categories page, the promotion pass) from per-day rollups, still exact.
--
-- The evidence counts a category's drafts whose moment k =
-- coalesce(decided_at, created_at) lies in the window (now() - window,
-- open above). promo_rollup sums, per UTC day of k and category, what
-- the drafts of that day add to each count. A window then reads:
--   * the rollups of every day after the window's first day (whole days
--     inside the window: the window is open above, so today is whole too);
--   * the drafts of the first day whose k is after the window's start, by
--     drafts_window_idx (an index on k), so only that day's rows are read;
--   * for an auto category promoted after the first day: the counts since
--     promoted_at ("post") the same way, its later days from the rollups
--     and the drafts of promoted_at's day from the index.
-- Pending drafts of today are never read, only their day's rollup rows.
--
-- "Approved unchanged" depends on the threshold: each row keeps people's
-- approvals with a known edit distance as a cumulative histogram over
-- the edit-distance buckets (promo_edit_bucket): appr_cum[i] counts those
-- in buckets 1..i, so the count at threshold J/100 is appr_cum[J + 1] and
-- all of them appr_cum[102], two subscripts per row ('{}': none).
-- would_cum is the same for the drafts shadow mode would have sent.
-- A row with reason set counts people's rejections with that normalised
-- reason (reasoned) and nothing else.
--
-- Counters rows are spread over 64 shards by backend PID (readers sum
-- them) so that workers storing drafts at once do not queue on one row;
-- reason rows change only with people's decisions and have one shard.
--
-- Kept by a statement trigger on drafts (the same way as draft_rollup,
-- migration 0175, whose triggers this one leaves alone), inside the
-- transaction that changes the drafts: a rolled-back change takes its
-- shares with it, and a reader sees rollups and drafts in one snapshot.
-- promo_rollup_drift lists any group that differs from the drafts;
-- promo_rollup_rebuild() recomputes them (draftd stats --rebuild).
CREATE TABLE promo_rollup (
    day                        date NOT NULL,  -- UTC day of coalesce(decided_at, created_at)
    category                   text NOT NULL,
    reason                     text,
    shard                      smallint NOT NULL DEFAULT 0,
    drafted                    bigint NOT NULL DEFAULT 0,
    reviewed                   bigint NOT NULL DEFAULT 0,
    rejected                   bigint NOT NULL DEFAULT 0,
    rejected_wrong             bigint NOT NULL DEFAULT 0,
    never_auto_hits            bigint NOT NULL DEFAULT 0,
    shadow_drafts              bigint NOT NULL DEFAULT 0,
    shadow_would_auto          bigint NOT NULL DEFAULT 0,
    shadow_would_auto_reviewed bigint NOT NULL DEFAULT 0,
    shadow_rejected            bigint NOT NULL DEFAULT 0,
    auto_replies               bigint NOT NULL DEFAULT 0,
    samples                    bigint NOT NULL DEFAULT 0,
    samples_fine               bigint NOT NULL DEFAULT 0,
    samples_bad                bigint NOT NULL DEFAULT 0,
    reasoned                   bigint NOT NULL DEFAULT 0,
    appr_cum                   bigint[] NOT NULL DEFAULT '{}',
    would_cum                  bigint[] NOT NULL DEFAULT '{}',
    CONSTRAINT promo_rollup_key UNIQUE NULLS NOT DISTINCT (day, category, reason, shard)
);

-- The UTC day of a moment (one function, so that the test can break it on
-- purpose and see the evidence differ).
CREATE FUNCTION promo_day(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$ SELECT (t AT TIME ZONE 'UTC')::date $$;

-- The edit-distance bucket, by float8 comparisons (the old query compared
-- edit_distance <= threshold as float8): 1 for ed <= 0, j + 1 for
-- (j-1)/100 < ed <= j/100 (j = 1..100), 102 for anything else (over 1,
-- NaN). j::float8 / 100 is the double nearest j/100, the same double the
-- config's threshold "0.0j" parses to, so ed <= t for t = J/100 holds
-- exactly for the buckets 1 .. J + 1.
-- j for ed given c = ceil(ed * 100), which is j or one off by the
-- product's rounding: the comparisons settle it.
CREATE FUNCTION promo_edit_j(ed float8, c int) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN c > 1 AND ed <= (c - 1)::float8 / 100 THEN c - 1
                WHEN ed <= c::float8 / 100 THEN c
                ELSE c + 1 END
$$;

-- (no subquery: the reader calls this for each draft of the edge day)
CREATE FUNCTION promo_edit_bucket(ed float8) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE WHEN ed IS NULL THEN NULL
                 WHEN ed <= 0 THEN 1
                 WHEN NOT (ed <= 1) THEN 102
                 ELSE 1 + promo_edit_j(ed, least(100, greatest(1, ceil(ed * 100)::int))) END)::smallint
$$;

-- The cumulative histograms: promo_cum_of(bucket, s) aggregates signed
-- buckets (NULL buckets skipped: the step is strict) into a plain
-- histogram, made cumulative at the end; promo_cum_add() adds two
-- cumulative ones. Both give '{}' for all zeros.
CREATE FUNCTION promo_cum_step(h bigint[], b int, s int) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    IF cardinality(h) = 0 THEN
        h := array_fill(0::bigint, ARRAY[102]);
    END IF;
    h[b] := h[b] + s;
    RETURN h;
END $$;

CREATE FUNCTION promo_cum_final(h bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    i int;
    nz boolean := false;
BEGIN
    IF h IS NULL OR cardinality(h) = 0 THEN
        RETURN '{}';
    END IF;
    FOR i IN 1 .. 102 LOOP
        nz := nz OR h[i] <> 0;
        IF i > 1 THEN
            h[i] := h[i] + h[i - 1];
        END IF;
    END LOOP;
    RETURN CASE WHEN nz THEN h ELSE '{}' END;
END $$;

CREATE AGGREGATE promo_cum_of(int, int) (SFUNC = promo_cum_step, STYPE = bigint[],
                                         INITCOND = '{}', FINALFUNC = promo_cum_final);

CREATE FUNCTION promo_cum_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    i int;
    nz boolean := false;
BEGIN
    IF cardinality(b) = 0 THEN
        RETURN a;
    ELSIF cardinality(a) = 0 THEN
        RETURN b;
    END IF;
    FOR i IN 1 .. 102 LOOP
        a[i] := a[i] + b[i];
        nz := nz OR a[i] <> 0;
    END LOOP;
    RETURN CASE WHEN nz THEN a ELSE '{}' END;
END $$;

CREATE AGGREGATE promo_cum_sum(bigint[]) (SFUNC = promo_cum_add, STYPE = bigint[],
                                          INITCOND = '{}');

-- What one draft adds to the rollups: a counters row, and for a person's
-- rejection a reason row. None for a draft the model did not write or
-- without a category (the evidence never counted them). appr_bucket: the
-- edit-distance bucket of a person's approval with a known distance
-- (NULL otherwise); would_bucket: the same when shadow mode would have
-- sent the draft. The expressions are the exact query's
-- (promotion_evidence_rows below).
CREATE FUNCTION promo_shares(category text, status text, reviewer text, edit_distance float8,
                             created_at timestamptz, decided_at timestamptz, origin text,
                             corrected_category text, reject_reason text,
                             decision_reasons jsonb, shadow jsonb, sampled boolean,
                             sample_verdict text)
RETURNS TABLE (day date, category text, reason text, drafted int, reviewed int, rejected int,
               rejected_wrong int, never_auto_hits int,
               shadow_drafts int, shadow_would_auto int, shadow_would_auto_reviewed int,
               shadow_rejected int, auto_replies int, samples int,
               samples_fine int, samples_bad int,
               reasoned int, appr_bucket smallint, would_bucket smallint)
LANGUAGE sql IMMUTABLE AS $$
    -- subqueries, not CTEs: inlined into the caller and flattened there
    SELECT g.day, category, NULL::text, 1, g.human::int, g.rej::int, g.wrong::int,
           coalesce(decision_reasons ? 'a rule forbids automatic replies'
                    OR decision_reasons ? 'a rule requires a human', false)::int,
           (shadow IS NOT NULL)::int, g.would::int, (g.would AND g.human)::int,
           (g.would AND g.rej)::int, coalesce(reviewer = 'auto', false)::int,
           coalesce(sampled, false)::int, coalesce(sample_verdict = 'fine', false)::int,
           coalesce(sample_verdict = 'bad', false)::int, 0,
           CASE WHEN g.human AND NOT g.rej THEN promo_edit_bucket(edit_distance) END,
           CASE WHEN g.human AND NOT g.rej AND g.would THEN promo_edit_bucket(edit_distance) END
    FROM (SELECT f.*, f.human AND status = 'rejected' AS rej,
                 f.human AND status = 'rejected' AND (corrected_category IS NOT NULL
                     OR lower(ltrim(coalesce(reject_reason, ''))) LIKE 'wrong%') AS wrong
          FROM (SELECT promo_day(coalesce(decided_at, created_at)) AS day,
                       coalesce(reviewer IS NOT NULL AND reviewer <> 'auto'
                                AND status IN ('approved', 'sent', 'failed', 'rejected'), false)
                           AS human,
                       coalesce((shadow->>'would_auto')::boolean, false) AS would) f) g
    WHERE origin = 'model' AND category IS NOT NULL
    UNION ALL
    SELECT promo_day(coalesce(decided_at, created_at)), category,
           coalesce(left(lower(btrim(reject_reason)), 80), '(no reason)'),
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, NULL, NULL
    WHERE origin = 'model' AND category IS NOT NULL AND reviewer IS NOT NULL
    AND reviewer <> 'auto' AND status = 'rejected'
$$;

-- The statement triggers: each takes the old rows' shares out (-1) and puts
-- the new rows' in (+1), summed per rollup row first, one upsert per
-- statement, in one lock order for every statement (two transactions
-- upserting the same rows wait instead of deadlocking). A transition table
-- can be named only by a trigger of its own event, hence one statement per
-- event (written out three times: each keeps its plan for the session).
CREATE FUNCTION promo_rollup_on_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- (a condition of its own: the DELETE trigger has no new_rows)
        IF (SELECT count(*) FROM new_rows) = 1 THEN
            -- one draft (the pipeline stores them one by one): its shares have
            -- distinct keys, so nothing to sum first (measured at load 10-14, CPU
            -- per stored draft added by this trigger: 0.2 ms so, 0.35 ms with
            -- the summing upsert below)
            INSERT INTO promo_rollup AS r
            SELECT x.day, x.category, x.reason,
                   CASE WHEN x.reason IS NULL THEN pg_backend_pid() % 64 ELSE 0 END::smallint,
                   x.drafted, x.reviewed, x.rejected, x.rejected_wrong, x.never_auto_hits,
                   x.shadow_drafts, x.shadow_would_auto, x.shadow_would_auto_reviewed,
                   x.shadow_rejected, x.auto_replies, x.samples, x.samples_fine, x.samples_bad,
                   x.reasoned,
                   promo_cum_final(promo_cum_step('{}', x.appr_bucket, 1)),
                   promo_cum_final(promo_cum_step('{}', x.would_bucket, 1))
            FROM new_rows n CROSS JOIN LATERAL promo_shares(n.category, n.status, n.reviewer,
                n.edit_distance, n.created_at, n.decided_at, n.origin, n.corrected_category,
                n.reject_reason, n.decision_reasons, n.shadow, n.sampled, n.sample_verdict) x
            ON CONFLICT ON CONSTRAINT promo_rollup_key DO UPDATE SET
                drafted = r.drafted + excluded.drafted,
                reviewed = r.reviewed + excluded.reviewed,
                rejected = r.rejected + excluded.rejected,
                rejected_wrong = r.rejected_wrong + excluded.rejected_wrong,
                never_auto_hits = r.never_auto_hits + excluded.never_auto_hits,
                shadow_drafts = r.shadow_drafts + excluded.shadow_drafts,
                shadow_would_auto = r.shadow_would_auto + excluded.shadow_would_auto,
                shadow_would_auto_reviewed = r.shadow_would_auto_reviewed + excluded.shadow_would_auto_reviewed,
                shadow_rejected = r.shadow_rejected + excluded.shadow_rejected,
                auto_replies = r.auto_replies + excluded.auto_replies,
                samples = r.samples + excluded.samples,
                samples_fine = r.samples_fine + excluded.samples_fine,
                samples_bad = r.samples_bad + excluded.samples_bad,
                reasoned = r.reasoned + excluded.reasoned,
                appr_cum = promo_cum_add(r.appr_cum, excluded.appr_cum),
                would_cum = promo_cum_add(r.would_cum, excluded.would_cum);
        ELSE
            WITH g AS (
                SELECT x.day, x.category, x.reason,
                       sum(ch.s * x.drafted) AS drafted,
                       sum(ch.s * x.reviewed) AS reviewed,
                       sum(ch.s * x.rejected) AS rejected,
                       sum(ch.s * x.rejected_wrong) AS rejected_wrong,
                       sum(ch.s * x.never_auto_hits) AS never_auto_hits,
                       sum(ch.s * x.shadow_drafts) AS shadow_drafts,
                       sum(ch.s * x.shadow_would_auto) AS shadow_would_auto,
                       sum(ch.s * x.shadow_would_auto_reviewed) AS shadow_would_auto_reviewed,
                       sum(ch.s * x.shadow_rejected) AS shadow_rejected,
                       sum(ch.s * x.auto_replies) AS auto_replies,
                       sum(ch.s * x.samples) AS samples,
                       sum(ch.s * x.samples_fine) AS samples_fine,
                       sum(ch.s * x.samples_bad) AS samples_bad,
                       sum(ch.s * x.reasoned) AS reasoned,
                       promo_cum_of(x.appr_bucket, ch.s) AS appr_cum,
                       promo_cum_of(x.would_bucket, ch.s) AS would_cum
                FROM (SELECT 1 AS s, n.* FROM new_rows n) ch
                CROSS JOIN LATERAL promo_shares(ch.category, ch.status, ch.reviewer,
                    ch.edit_distance, ch.created_at, ch.decided_at, ch.origin,
                    ch.corrected_category, ch.reject_reason, ch.decision_reasons, ch.shadow,
                    ch.sampled, ch.sample_verdict) x
                GROUP BY x.day, x.category, x.reason)
            INSERT INTO promo_rollup AS r
            SELECT g.day, g.category, g.reason,
                   CASE WHEN g.reason IS NULL THEN pg_backend_pid() % 64 ELSE 0 END::smallint,
                   g.drafted, g.reviewed, g.rejected, g.rejected_wrong, g.never_auto_hits,
                   g.shadow_drafts, g.shadow_would_auto, g.shadow_would_auto_reviewed,
                   g.shadow_rejected, g.auto_replies, g.samples, g.samples_fine, g.samples_bad,
                   g.reasoned,
                   g.appr_cum, g.would_cum
            FROM g
            -- shares that cancel out (pending to claimed, a category changed back) write nothing
            WHERE (g.drafted, g.reviewed, g.rejected, g.rejected_wrong, g.never_auto_hits,
               g.shadow_drafts, g.shadow_would_auto, g.shadow_would_auto_reviewed,
               g.shadow_rejected, g.auto_replies, g.samples, g.samples_fine, g.samples_bad,
               g.reasoned)
                  <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                  OR g.appr_cum <> '{}' OR g.would_cum <> '{}'
            ORDER BY g.day, g.category, g.reason
            ON CONFLICT ON CONSTRAINT promo_rollup_key DO UPDATE SET
                drafted = r.drafted + excluded.drafted,
                reviewed = r.reviewed + excluded.reviewed,
                rejected = r.rejected + excluded.rejected,
                rejected_wrong = r.rejected_wrong + excluded.rejected_wrong,
                never_auto_hits = r.never_auto_hits + excluded.never_auto_hits,
                shadow_drafts = r.shadow_drafts + excluded.shadow_drafts,
                shadow_would_auto = r.shadow_would_auto + excluded.shadow_would_auto,
                shadow_would_auto_reviewed = r.shadow_would_auto_reviewed + excluded.shadow_would_auto_reviewed,
                shadow_rejected = r.shadow_rejected + excluded.shadow_rejected,
                auto_replies = r.auto_replies + excluded.auto_replies,
                samples = r.samples + excluded.samples,
                samples_fine = r.samples_fine + excluded.samples_fine,
                samples_bad = r.samples_bad + excluded.samples_bad,
                reasoned = r.reasoned + excluded.reasoned,
                appr_cum = promo_cum_add(r.appr_cum, excluded.appr_cum),
                would_cum = promo_cum_add(r.would_cum, excluded.would_cum);
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        WITH g AS (
            SELECT x.day, x.category, x.reason,
                   sum(ch.s * x.drafted) AS drafted,
                   sum(ch.s * x.reviewed) AS reviewed,
                   sum(ch.s * x.rejected) AS rejected,
                   sum(ch.s * x.rejected_wrong) AS rejected_wrong,
                   sum(ch.s * x.never_auto_hits) AS never_auto_hits,
                   sum(ch.s * x.shadow_drafts) AS shadow_drafts,
                   sum(ch.s * x.shadow_would_auto) AS shadow_would_auto,
                   sum(ch.s * x.shadow_would_auto_reviewed) AS shadow_would_auto_reviewed,
                   sum(ch.s * x.shadow_rejected) AS shadow_rejected,
                   sum(ch.s * x.auto_replies) AS auto_replies,
                   sum(ch.s * x.samples) AS samples,
                   sum(ch.s * x.samples_fine) AS samples_fine,
                   sum(ch.s * x.samples_bad) AS samples_bad,
                   sum(ch.s * x.reasoned) AS reasoned,
                   promo_cum_of(x.appr_bucket, ch.s) AS appr_cum,
                   promo_cum_of(x.would_bucket, ch.s) AS would_cum
            FROM (SELECT -1 AS s, o.* FROM old_rows o) ch
            CROSS JOIN LATERAL promo_shares(ch.category, ch.status, ch.reviewer,
                ch.edit_distance, ch.created_at, ch.decided_at, ch.origin,
                ch.corrected_category, ch.reject_reason, ch.decision_reasons, ch.shadow,
                ch.sampled, ch.sample_verdict) x
            GROUP BY x.day, x.category, x.reason)
        INSERT INTO promo_rollup AS r
        SELECT g.day, g.category, g.reason,
               CASE WHEN g.reason IS NULL THEN pg_backend_pid() % 64 ELSE 0 END::smallint,
               g.drafted, g.reviewed, g.rejected, g.rejected_wrong, g.never_auto_hits,
               g.shadow_drafts, g.shadow_would_auto, g.shadow_would_auto_reviewed,
               g.shadow_rejected, g.auto_replies, g.samples, g.samples_fine, g.samples_bad,
               g.reasoned,
               g.appr_cum, g.would_cum
        FROM g
        -- shares that cancel out (pending to claimed, a category changed back) write nothing
        WHERE (g.drafted, g.reviewed, g.rejected, g.rejected_wrong, g.never_auto_hits,
           g.shadow_drafts, g.shadow_would_auto, g.shadow_would_auto_reviewed,
           g.shadow_rejected, g.auto_replies, g.samples, g.samples_fine, g.samples_bad,
           g.reasoned)
              <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
              OR g.appr_cum <> '{}' OR g.would_cum <> '{}'
        ORDER BY g.day, g.category, g.reason
        ON CONFLICT ON CONSTRAINT promo_rollup_key DO UPDATE SET
            drafted = r.drafted + excluded.drafted,
            reviewed = r.reviewed + excluded.reviewed,
            rejected = r.rejected + excluded.rejected,
            rejected_wrong = r.rejected_wrong + excluded.rejected_wrong,
            never_auto_hits = r.never_auto_hits + excluded.never_auto_hits,
            shadow_drafts = r.shadow_drafts + excluded.shadow_drafts,
            shadow_would_auto = r.shadow_would_auto + excluded.shadow_would_auto,
            shadow_would_auto_reviewed = r.shadow_would_auto_reviewed + excluded.shadow_would_auto_reviewed,
            shadow_rejected = r.shadow_rejected + excluded.shadow_rejected,
            auto_replies = r.auto_replies + excluded.auto_replies,
            samples = r.samples + excluded.samples,
            samples_fine = r.samples_fine + excluded.samples_fine,
            samples_bad = r.samples_bad + excluded.samples_bad,
            reasoned = r.reasoned + excluded.reasoned,
            appr_cum = promo_cum_add(r.appr_cum, excluded.appr_cum),
            would_cum = promo_cum_add(r.would_cum, excluded.would_cum);
    ELSE
        -- only drafts whose counted columns changed (edits, claims and their
        -- heartbeats change none: a claimed draft counts as a pending one)
        IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                       WHERE (o.category, CASE o.status WHEN 'claimed' THEN 'pending' ELSE o.status END,
                              o.reviewer, o.edit_distance, o.created_at,
                         o.decided_at, o.origin, o.corrected_category, o.reject_reason,
                         o.decision_reasons, o.shadow, o.sampled, o.sample_verdict)
                        IS DISTINCT FROM
                        (n.category, CASE n.status WHEN 'claimed' THEN 'pending' ELSE n.status END,
                         n.reviewer, n.edit_distance, n.created_at,
                         n.decided_at, n.origin, n.corrected_category, n.reject_reason,
                         n.decision_reasons, n.shadow, n.sampled, n.sample_verdict)) THEN
            RETURN NULL;
        END IF;
        WITH g AS (
            SELECT x.day, x.category, x.reason,
                   sum(ch.s * x.drafted) AS drafted,
                   sum(ch.s * x.reviewed) AS reviewed,
                   sum(ch.s * x.rejected) AS rejected,
                   sum(ch.s * x.rejected_wrong) AS rejected_wrong,
                   sum(ch.s * x.never_auto_hits) AS never_auto_hits,
                   sum(ch.s * x.shadow_drafts) AS shadow_drafts,
                   sum(ch.s * x.shadow_would_auto) AS shadow_would_auto,
                   sum(ch.s * x.shadow_would_auto_reviewed) AS shadow_would_auto_reviewed,
                   sum(ch.s * x.shadow_rejected) AS shadow_rejected,
                   sum(ch.s * x.auto_replies) AS auto_replies,
                   sum(ch.s * x.samples) AS samples,
                   sum(ch.s * x.samples_fine) AS samples_fine,
                   sum(ch.s * x.samples_bad) AS samples_bad,
                   sum(ch.s * x.reasoned) AS reasoned,
                   promo_cum_of(x.appr_bucket, ch.s) AS appr_cum,
                   promo_cum_of(x.would_bucket, ch.s) AS would_cum
            FROM (SELECT u.* FROM old_rows o JOIN new_rows n ON n.id = o.id
                  CROSS JOIN LATERAL (VALUES (-1, o.category, o.status, o.reviewer,
                                             o.edit_distance, o.created_at, o.decided_at,
                                             o.origin, o.corrected_category,
                                             o.reject_reason, o.decision_reasons, o.shadow,
                                             o.sampled, o.sample_verdict),
                                             (1, n.category, n.status, n.reviewer,
                                             n.edit_distance, n.created_at, n.decided_at,
                                             n.origin, n.corrected_category,
                                             n.reject_reason, n.decision_reasons, n.shadow,
                                             n.sampled, n.sample_verdict))
                      u(s, category, status, reviewer, edit_distance, created_at, decided_at,
                        origin, corrected_category, reject_reason, decision_reasons, shadow,
                        sampled, sample_verdict)
                  WHERE (o.category, CASE o.status WHEN 'claimed' THEN 'pending' ELSE o.status END,
                         o.reviewer, o.edit_distance, o.created_at,
                         o.decided_at, o.origin, o.corrected_category, o.reject_reason,
                         o.decision_reasons, o.shadow, o.sampled, o.sample_verdict)
                        IS DISTINCT FROM
                        (n.category, CASE n.status WHEN 'claimed' THEN 'pending' ELSE n.status END,
                         n.reviewer, n.edit_distance, n.created_at,
                         n.decided_at, n.origin, n.corrected_category, n.reject_reason,
                         n.decision_reasons, n.shadow, n.sampled, n.sample_verdict)) ch
            CROSS JOIN LATERAL promo_shares(ch.category, ch.status, ch.reviewer,
                ch.edit_distance, ch.created_at, ch.decided_at, ch.origin,
                ch.corrected_category, ch.reject_reason, ch.decision_reasons, ch.shadow,
                ch.sampled, ch.sample_verdict) x
            GROUP BY x.day, x.category, x.reason)
        INSERT INTO promo_rollup AS r
        SELECT g.day, g.category, g.reason,
               CASE WHEN g.reason IS NULL THEN pg_backend_pid() % 64 ELSE 0 END::smallint,
               g.drafted, g.reviewed, g.rejected, g.rejected_wrong, g.never_auto_hits,
               g.shadow_drafts, g.shadow_would_auto, g.shadow_would_auto_reviewed,
               g.shadow_rejected, g.auto_replies, g.samples, g.samples_fine, g.samples_bad,
               g.reasoned,
               g.appr_cum, g.would_cum
        FROM g
        -- shares that cancel out (pending to claimed, a category changed back) write nothing
        WHERE (g.drafted, g.reviewed, g.rejected, g.rejected_wrong, g.never_auto_hits,
           g.shadow_drafts, g.shadow_would_auto, g.shadow_would_auto_reviewed,
           g.shadow_rejected, g.auto_replies, g.samples, g.samples_fine, g.samples_bad,
           g.reasoned)
              <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
              OR g.appr_cum <> '{}' OR g.would_cum <> '{}'
        ORDER BY g.day, g.category, g.reason
        ON CONFLICT ON CONSTRAINT promo_rollup_key DO UPDATE SET
            drafted = r.drafted + excluded.drafted,
            reviewed = r.reviewed + excluded.reviewed,
            rejected = r.rejected + excluded.rejected,
            rejected_wrong = r.rejected_wrong + excluded.rejected_wrong,
            never_auto_hits = r.never_auto_hits + excluded.never_auto_hits,
            shadow_drafts = r.shadow_drafts + excluded.shadow_drafts,
            shadow_would_auto = r.shadow_would_auto + excluded.shadow_would_auto,
            shadow_would_auto_reviewed = r.shadow_would_auto_reviewed + excluded.shadow_would_auto_reviewed,
            shadow_rejected = r.shadow_rejected + excluded.shadow_rejected,
            auto_replies = r.auto_replies + excluded.auto_replies,
            samples = r.samples + excluded.samples,
            samples_fine = r.samples_fine + excluded.samples_fine,
            samples_bad = r.samples_bad + excluded.samples_bad,
            reasoned = r.reasoned + excluded.reasoned,
            appr_cum = promo_cum_add(r.appr_cum, excluded.appr_cum),
            would_cum = promo_cum_add(r.would_cum, excluded.would_cum);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION promo_rollup_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE promo_rollup;
    RETURN NULL;
END $$;

-- Named to fire after 0175's drafts_rollup_* triggers (triggers fire in
-- name order), so every statement takes the two tables' row locks in the
-- same order.
CREATE TRIGGER drafts_zpromo_rollup_ins AFTER INSERT ON drafts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION promo_rollup_on_change();
CREATE TRIGGER drafts_zpromo_rollup_del AFTER DELETE ON drafts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION promo_rollup_on_change();
CREATE TRIGGER drafts_zpromo_rollup_upd AFTER UPDATE ON drafts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION promo_rollup_on_change();
CREATE TRIGGER drafts_zpromo_rollup_truncate AFTER TRUNCATE ON drafts
    FOR EACH STATEMENT EXECUTE FUNCTION promo_rollup_on_truncate();

-- What the rollups must sum to, from the drafts (shard 0).
CREATE VIEW promo_rollup_expected AS
    SELECT x.day, x.category, x.reason, 0::smallint AS shard,
           sum(x.drafted)::bigint AS drafted,
           sum(x.reviewed)::bigint AS reviewed,
           sum(x.rejected)::bigint AS rejected,
           sum(x.rejected_wrong)::bigint AS rejected_wrong,
           sum(x.never_auto_hits)::bigint AS never_auto_hits,
           sum(x.shadow_drafts)::bigint AS shadow_drafts,
           sum(x.shadow_would_auto)::bigint AS shadow_would_auto,
           sum(x.shadow_would_auto_reviewed)::bigint AS shadow_would_auto_reviewed,
           sum(x.shadow_rejected)::bigint AS shadow_rejected,
           sum(x.auto_replies)::bigint AS auto_replies,
           sum(x.samples)::bigint AS samples,
           sum(x.samples_fine)::bigint AS samples_fine,
           sum(x.samples_bad)::bigint AS samples_bad,
           sum(x.reasoned)::bigint AS reasoned,
           promo_cum_of(x.appr_bucket, 1) AS appr_cum, promo_cum_of(x.would_bucket, 1) AS would_cum
    FROM drafts d CROSS JOIN LATERAL promo_shares(d.category, d.status, d.reviewer,
        d.edit_distance, d.created_at, d.decided_at, d.origin, d.corrected_category,
        d.reject_reason, d.decision_reasons, d.shadow, d.sampled, d.sample_verdict) x
    GROUP BY x.day, x.category, x.reason;

-- The (day, category, reason) groups whose rollups (summed over shards)
-- differ from the drafts: empty unless something bypassed the trigger.
-- SELECT * FROM promo_rollup_drift; draftd stats --rebuild mends it.
CREATE VIEW promo_rollup_drift AS
    WITH a AS (SELECT day, category, reason,
                      sum(drafted) AS drafted,
                      sum(reviewed) AS reviewed,
                      sum(rejected) AS rejected,
                      sum(rejected_wrong) AS rejected_wrong,
                      sum(never_auto_hits) AS never_auto_hits,
                      sum(shadow_drafts) AS shadow_drafts,
                      sum(shadow_would_auto) AS shadow_would_auto,
                      sum(shadow_would_auto_reviewed) AS shadow_would_auto_reviewed,
                      sum(shadow_rejected) AS shadow_rejected,
                      sum(auto_replies) AS auto_replies,
                      sum(samples) AS samples,
                      sum(samples_fine) AS samples_fine,
                      sum(samples_bad) AS samples_bad,
                      sum(reasoned) AS reasoned,
                      promo_cum_sum(appr_cum) AS appr_cum, promo_cum_sum(would_cum) AS would_cum
               FROM promo_rollup GROUP BY day, category, reason),
         -- a group whose shares all cancelled out is no group
         a1 AS (SELECT * FROM a WHERE (drafted, reviewed, rejected, rejected_wrong,
                never_auto_hits, shadow_drafts, shadow_would_auto,
                shadow_would_auto_reviewed, shadow_rejected, auto_replies, samples,
                samples_fine, samples_bad, reasoned) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0)
                OR appr_cum <> '{}' OR would_cum <> '{}'),
         e AS (SELECT day, category, reason,
                      drafted::numeric, reviewed::numeric, rejected::numeric,
                      rejected_wrong::numeric, never_auto_hits::numeric,
                      shadow_drafts::numeric, shadow_would_auto::numeric,
                      shadow_would_auto_reviewed::numeric, shadow_rejected::numeric,
                      auto_replies::numeric, samples::numeric, samples_fine::numeric,
                      samples_bad::numeric, reasoned::numeric,
                      appr_cum, would_cum
               FROM promo_rollup_expected)
    SELECT DISTINCT day, category, reason
    FROM ((SELECT * FROM a1 EXCEPT SELECT * FROM e) UNION ALL
          (SELECT * FROM e EXCEPT SELECT * FROM a1)) x;

-- Recomputes the rollups from the drafts; the lock keeps writers of drafts
-- out until the caller's transaction ends. Returns the rows written.
CREATE FUNCTION promo_rollup_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    LOCK TABLE drafts IN SHARE MODE;
    DELETE FROM promo_rollup;
    INSERT INTO promo_rollup SELECT * FROM promo_rollup_expected;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

SELECT promo_rollup_rebuild();
