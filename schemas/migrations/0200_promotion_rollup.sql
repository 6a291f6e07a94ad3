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
-- Pending drafts of today are never read, only their day's rollup row.
--
-- Three kinds of rows (the other columns are 0 in each kind):
--   bucket = 0, reason NULL: the counters (drafted, reviewed, ...);
--   bucket 1..102: people's approvals with a known edit distance, by the
--     edit-distance bucket (promo_edit_bucket), so that "unchanged at
--     threshold t" is an exact sum for t a multiple of 0.01;
--   reason: people's rejections by their normalised reason.
-- Rows are spread over 64 shards by backend PID (readers sum them) so
-- that workers storing drafts at once do not queue on one row.
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
    bucket                     smallint NOT NULL DEFAULT 0,
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
    appr                       bigint NOT NULL DEFAULT 0,  -- bucket rows
    appr_would                 bigint NOT NULL DEFAULT 0,  -- of them, shadow would have sent
    reasoned                   bigint NOT NULL DEFAULT 0,  -- reason rows
    CONSTRAINT promo_rollup_key UNIQUE NULLS NOT DISTINCT (day, category, bucket, reason, shard)
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
CREATE FUNCTION promo_edit_bucket(ed float8) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ed IS NULL THEN NULL
                WHEN ed <= 0 THEN 1
                WHEN NOT (ed <= 1) THEN 102
                ELSE (SELECT min(j) + 1 FROM (VALUES (ceil(ed * 100)::int - 1),
                                                     (ceil(ed * 100)::int),
                                                     (ceil(ed * 100)::int + 1)) v(j)
                      WHERE j BETWEEN 1 AND 100 AND ed <= j::float8 / 100) END::smallint
$$;

-- What one draft adds to the rollups: one counters row, plus a bucket row
-- (a person's approval with an edit distance) or a reason row (a person's
-- rejection). None for a draft the model did not write or without a
-- category (the evidence never counted them). The expressions are the
-- exact query's (promotion_evidence_rows below).
CREATE FUNCTION promo_shares(category text, status text, reviewer text, edit_distance float8,
                             created_at timestamptz, decided_at timestamptz, origin text,
                             corrected_category text, reject_reason text,
                             decision_reasons jsonb, shadow jsonb, sampled boolean,
                             sample_verdict text)
RETURNS TABLE (day date, category text, bucket smallint, reason text, drafted int,
               reviewed int, rejected int, rejected_wrong int, never_auto_hits int,
               shadow_drafts int, shadow_would_auto int, shadow_would_auto_reviewed int,
               shadow_rejected int, auto_replies int, samples int, samples_fine int,
               samples_bad int, appr int, appr_would int, reasoned int)
LANGUAGE sql IMMUTABLE AS $$
    WITH f AS (SELECT promo_day(coalesce(decided_at, created_at)) AS day,
                      coalesce(reviewer IS NOT NULL AND reviewer <> 'auto'
                               AND status IN ('approved', 'sent', 'failed', 'rejected'), false)
                          AS human,
                      coalesce((shadow->>'would_auto')::boolean, false) AS would),
         g AS (SELECT f.*, f.human AND status = 'rejected' AS rej,
                      f.human AND status = 'rejected' AND (corrected_category IS NOT NULL
                          OR lower(ltrim(coalesce(reject_reason, ''))) LIKE 'wrong%') AS wrong
               FROM f)
    SELECT g.day, category, 0::smallint, NULL::text, 1, g.human::int, g.rej::int, g.wrong::int,
           coalesce(decision_reasons ? 'a rule forbids automatic replies'
                    OR decision_reasons ? 'a rule requires a human', false)::int,
           (shadow IS NOT NULL)::int, g.would::int, (g.would AND g.human)::int,
           (g.would AND g.rej)::int, coalesce(reviewer = 'auto', false)::int,
           coalesce(sampled, false)::int, coalesce(sample_verdict = 'fine', false)::int,
           coalesce(sample_verdict = 'bad', false)::int, 0, 0, 0
    FROM g WHERE origin = 'model' AND category IS NOT NULL
    UNION ALL
    SELECT g.day, category, promo_edit_bucket(edit_distance), NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           0, 0, 0, 0, 1, g.would::int, 0
    FROM g WHERE origin = 'model' AND category IS NOT NULL AND g.human AND NOT g.rej
    AND edit_distance IS NOT NULL
    UNION ALL
    SELECT g.day, category, 0, coalesce(left(lower(btrim(reject_reason)), 80), '(no reason)'),
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
    FROM g WHERE origin = 'model' AND category IS NOT NULL AND g.rej
$$;

-- One draft's counted columns with a sign: +1 puts its shares in, -1 takes
-- them out.
CREATE TYPE promo_delta AS (s int, category text, status text, reviewer text,
                            edit_distance float8, created_at timestamptz,
                            decided_at timestamptz, origin text, corrected_category text,
                            reject_reason text, decision_reasons jsonb, shadow jsonb,
                            sampled boolean, sample_verdict text);

-- Adds the shares of a statement's changed drafts, summed per rollup row
-- first: one upsert per statement, in one lock order for every statement
-- (two transactions upserting the same rows wait instead of deadlocking).
-- (plpgsql: its plan is kept for the session; a SQL function's INSERT would be
-- planned again on every call)
CREATE FUNCTION promo_rollup_apply(ds promo_delta[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ds) = 0 THEN
        RETURN;
    END IF;
    WITH g AS (
        SELECT x.day, x.category, x.bucket, x.reason, sum(d.s * x.drafted) AS drafted,
               sum(d.s * x.reviewed) AS reviewed, sum(d.s * x.rejected) AS rejected,
               sum(d.s * x.rejected_wrong) AS rejected_wrong,
               sum(d.s * x.never_auto_hits) AS never_auto_hits,
               sum(d.s * x.shadow_drafts) AS shadow_drafts,
               sum(d.s * x.shadow_would_auto) AS shadow_would_auto,
               sum(d.s * x.shadow_would_auto_reviewed) AS shadow_would_auto_reviewed,
               sum(d.s * x.shadow_rejected) AS shadow_rejected,
               sum(d.s * x.auto_replies) AS auto_replies, sum(d.s * x.samples) AS samples,
               sum(d.s * x.samples_fine) AS samples_fine,
               sum(d.s * x.samples_bad) AS samples_bad, sum(d.s * x.appr) AS appr,
               sum(d.s * x.appr_would) AS appr_would, sum(d.s * x.reasoned) AS reasoned
        FROM unnest(ds) d CROSS JOIN LATERAL promo_shares(d.category, d.status, d.reviewer,
            d.edit_distance, d.created_at, d.decided_at, d.origin, d.corrected_category,
            d.reject_reason, d.decision_reasons, d.shadow, d.sampled, d.sample_verdict) x
        GROUP BY x.day, x.category, x.bucket, x.reason)
    INSERT INTO promo_rollup AS r
    SELECT g.day, g.category, g.bucket, g.reason, (pg_backend_pid() % 64)::smallint,
           g.drafted, g.reviewed, g.rejected, g.rejected_wrong, g.never_auto_hits,
           g.shadow_drafts, g.shadow_would_auto, g.shadow_would_auto_reviewed,
           g.shadow_rejected, g.auto_replies, g.samples, g.samples_fine, g.samples_bad, g.appr,
           g.appr_would, g.reasoned
    FROM g
    -- shares that cancel out (pending to claimed, a category changed back) write nothing
    WHERE (g.drafted, g.reviewed, g.rejected, g.rejected_wrong, g.never_auto_hits,
           g.shadow_drafts, g.shadow_would_auto, g.shadow_would_auto_reviewed,
           g.shadow_rejected, g.auto_replies, g.samples, g.samples_fine, g.samples_bad,
           g.appr, g.appr_would, g.reasoned)
          <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    ORDER BY g.day, g.category, g.bucket, g.reason
    ON CONFLICT ON CONSTRAINT promo_rollup_key DO UPDATE SET
        drafted = r.drafted + excluded.drafted, reviewed = r.reviewed + excluded.reviewed,
        rejected = r.rejected + excluded.rejected,
        rejected_wrong = r.rejected_wrong + excluded.rejected_wrong,
        never_auto_hits = r.never_auto_hits + excluded.never_auto_hits,
        shadow_drafts = r.shadow_drafts + excluded.shadow_drafts,
        shadow_would_auto = r.shadow_would_auto + excluded.shadow_would_auto,
        shadow_would_auto_reviewed = r.shadow_would_auto_reviewed
                                     + excluded.shadow_would_auto_reviewed,
        shadow_rejected = r.shadow_rejected + excluded.shadow_rejected,
        auto_replies = r.auto_replies + excluded.auto_replies,
        samples = r.samples + excluded.samples,
        samples_fine = r.samples_fine + excluded.samples_fine,
        samples_bad = r.samples_bad + excluded.samples_bad, appr = r.appr + excluded.appr,
        appr_would = r.appr_would + excluded.appr_would,
        reasoned = r.reasoned + excluded.reasoned;
END $$;

-- The statement triggers: a transition table can be named only by the
-- triggers of its own event, so one branch each.
CREATE FUNCTION promo_rollup_on_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM promo_rollup_apply(ARRAY(SELECT ROW(1, n.category, n.status, n.reviewer,
            n.edit_distance, n.created_at, n.decided_at, n.origin, n.corrected_category,
            n.reject_reason, n.decision_reasons, n.shadow, n.sampled,
            n.sample_verdict)::promo_delta FROM new_rows n));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM promo_rollup_apply(ARRAY(SELECT ROW(-1, o.category, o.status, o.reviewer,
            o.edit_distance, o.created_at, o.decided_at, o.origin, o.corrected_category,
            o.reject_reason, o.decision_reasons, o.shadow, o.sampled,
            o.sample_verdict)::promo_delta FROM old_rows o));
    ELSE
        -- only drafts whose counted columns changed (edits, claims'
        -- heartbeats and the like change none: no upsert at all)
        PERFORM promo_rollup_apply(ARRAY(SELECT u FROM old_rows o JOIN new_rows n ON n.id = o.id
            CROSS JOIN LATERAL (VALUES
                (ROW(-1, o.category, o.status, o.reviewer, o.edit_distance, o.created_at,
                     o.decided_at, o.origin, o.corrected_category, o.reject_reason,
                     o.decision_reasons, o.shadow, o.sampled, o.sample_verdict)::promo_delta),
                (ROW(1, n.category, n.status, n.reviewer, n.edit_distance, n.created_at,
                     n.decided_at, n.origin, n.corrected_category, n.reject_reason,
                     n.decision_reasons, n.shadow, n.sampled, n.sample_verdict)::promo_delta))
                v(u)
            WHERE (o.category, o.status, o.reviewer, o.edit_distance, o.created_at,
                   o.decided_at, o.origin, o.corrected_category, o.reject_reason,
                   o.decision_reasons, o.shadow, o.sampled, o.sample_verdict)
                  IS DISTINCT FROM
                  (n.category, n.status, n.reviewer, n.edit_distance, n.created_at,
                   n.decided_at, n.origin, n.corrected_category, n.reject_reason,
                   n.decision_reasons, n.shadow, n.sampled, n.sample_verdict)));
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
    SELECT x.day, x.category, x.bucket, x.reason, 0::smallint AS shard,
           sum(x.drafted)::bigint AS drafted, sum(x.reviewed)::bigint AS reviewed,
           sum(x.rejected)::bigint AS rejected, sum(x.rejected_wrong)::bigint AS rejected_wrong,
           sum(x.never_auto_hits)::bigint AS never_auto_hits,
           sum(x.shadow_drafts)::bigint AS shadow_drafts,
           sum(x.shadow_would_auto)::bigint AS shadow_would_auto,
           sum(x.shadow_would_auto_reviewed)::bigint AS shadow_would_auto_reviewed,
           sum(x.shadow_rejected)::bigint AS shadow_rejected,
           sum(x.auto_replies)::bigint AS auto_replies, sum(x.samples)::bigint AS samples,
           sum(x.samples_fine)::bigint AS samples_fine, sum(x.samples_bad)::bigint AS samples_bad,
           sum(x.appr)::bigint AS appr, sum(x.appr_would)::bigint AS appr_would,
           sum(x.reasoned)::bigint AS reasoned
    FROM drafts d CROSS JOIN LATERAL promo_shares(d.category, d.status, d.reviewer,
        d.edit_distance, d.created_at, d.decided_at, d.origin, d.corrected_category,
        d.reject_reason, d.decision_reasons, d.shadow, d.sampled, d.sample_verdict) x
    GROUP BY x.day, x.category, x.bucket, x.reason;

-- The (day, category, bucket, reason) groups whose rollups (summed over
-- shards) differ from the drafts: empty unless something bypassed the
-- trigger. SELECT * FROM promo_rollup_drift; draftd stats --rebuild mends it.
CREATE VIEW promo_rollup_drift AS
    WITH a AS (SELECT day, category, bucket, reason, sum(drafted) AS drafted,
                      sum(reviewed) AS reviewed, sum(rejected) AS rejected,
                      sum(rejected_wrong) AS rejected_wrong,
                      sum(never_auto_hits) AS never_auto_hits,
                      sum(shadow_drafts) AS shadow_drafts,
                      sum(shadow_would_auto) AS shadow_would_auto,
                      sum(shadow_would_auto_reviewed) AS shadow_would_auto_reviewed,
                      sum(shadow_rejected) AS shadow_rejected, sum(auto_replies) AS auto_replies,
                      sum(samples) AS samples, sum(samples_fine) AS samples_fine,
                      sum(samples_bad) AS samples_bad, sum(appr) AS appr,
                      sum(appr_would) AS appr_would, sum(reasoned) AS reasoned
               FROM promo_rollup GROUP BY day, category, bucket, reason),
         -- a group whose shares all cancelled out is no group
         a1 AS (SELECT * FROM a WHERE (drafted, reviewed, rejected, rejected_wrong,
                never_auto_hits, shadow_drafts, shadow_would_auto, shadow_would_auto_reviewed,
                shadow_rejected, auto_replies, samples, samples_fine, samples_bad, appr,
                appr_would, reasoned) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
         e AS (SELECT day, category, bucket, reason, drafted::numeric, reviewed::numeric,
                      rejected::numeric, rejected_wrong::numeric, never_auto_hits::numeric,
                      shadow_drafts::numeric, shadow_would_auto::numeric,
                      shadow_would_auto_reviewed::numeric, shadow_rejected::numeric,
                      auto_replies::numeric, samples::numeric, samples_fine::numeric,
                      samples_bad::numeric, appr::numeric, appr_would::numeric,
                      reasoned::numeric
               FROM promo_rollup_expected)
    SELECT DISTINCT day, category, bucket, reason
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

-- The evidence read from every draft of the window: the query draftd ran
-- before this migration, unchanged. It stays the reference the tests hold
-- promotion_evidence() to, and draftd uses it for a threshold off the 0.01
-- grid (the config refuses those; a hand-made one still gets exact counts).
-- human: a reviewer's decision (automatic sends have reviewer 'auto');
-- good: approved with edit distance <= threshold; post: since the category
-- last became auto (a category that was auto from the start counts
-- everything).
CREATE FUNCTION promotion_evidence_rows(window_s int, threshold float8) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    WITH w AS (SELECT d.category, d.status, d.edit_distance, d.corrected_category,
      d.reject_reason, d.decision_reasons, d.shadow, d.reviewer, d.sampled,
      d.sample_verdict, (d.reviewer IS NOT NULL AND d.reviewer <> 'auto'
      AND d.status IN ('approved', 'sent', 'failed', 'rejected')) AS human,
      coalesce((d.shadow->>'would_auto')::boolean, false) AS would,
      (c.mode = 'auto' AND coalesce(d.decided_at, d.created_at)
       > coalesce(c.promoted_at, '-infinity')) AS post
      FROM drafts d LEFT JOIN categories c ON c.name = d.category
      WHERE coalesce(d.decided_at, d.created_at) > now() - make_interval(secs => window_s)
      -- a reply a person wrote from scratch is no evidence about the model
      AND d.origin = 'model'),
     v AS (SELECT *, human AND status <> 'rejected' AND edit_distance <= threshold AS good,
      human AND status = 'rejected' AND (corrected_category IS NOT NULL
       OR lower(ltrim(coalesce(reject_reason, ''))) LIKE 'wrong%') AS wrong FROM w),
     a AS (SELECT category, count(*) AS drafted,
      count(*) FILTER (WHERE human) AS reviewed,
      count(*) FILTER (WHERE good) AS approved_unchanged,
      count(*) FILTER (WHERE human AND status <> 'rejected' AND NOT good) AS approved_edited,
      count(*) FILTER (WHERE human AND status = 'rejected') AS rejected,
      count(*) FILTER (WHERE wrong) AS rejected_wrong,
      count(*) FILTER (WHERE decision_reasons ? 'a rule forbids automatic replies'
       OR decision_reasons ? 'a rule requires a human') AS never_auto_hits,
      count(*) FILTER (WHERE shadow IS NOT NULL) AS shadow_drafts,
      count(*) FILTER (WHERE would) AS shadow_would_auto,
      count(*) FILTER (WHERE would AND human) AS shadow_would_auto_reviewed,
      count(*) FILTER (WHERE would AND good) AS shadow_agreed,
      count(*) FILTER (WHERE would AND human AND status <> 'rejected' AND NOT good)
       AS shadow_edited,
      count(*) FILTER (WHERE would AND human AND status = 'rejected') AS shadow_rejected,
      count(*) FILTER (WHERE reviewer = 'auto') AS auto_replies,
      count(*) FILTER (WHERE sampled) AS samples,
      count(*) FILTER (WHERE sample_verdict = 'fine') AS samples_fine,
      count(*) FILTER (WHERE sample_verdict = 'bad') AS samples_bad,
      count(*) FILTER (WHERE post AND human) AS post_reviewed,
      count(*) FILTER (WHERE post AND good) AS post_unchanged,
      count(*) FILTER (WHERE post AND wrong) AS post_wrong,
      count(*) FILTER (WHERE post AND sample_verdict = 'fine') AS post_fine,
      count(*) FILTER (WHERE post AND sample_verdict = 'bad') AS post_bad
      FROM v WHERE category IS NOT NULL GROUP BY category),
     r AS (SELECT category, json_object_agg(reason, n) AS reasons FROM
      (SELECT category, coalesce(left(lower(btrim(reject_reason)), 80), '(no reason)') AS reason,
       count(*) AS n
       FROM w WHERE human AND status = 'rejected' GROUP BY 1, 2) x GROUP BY category),
     n AS (SELECT name FROM categories UNION SELECT category FROM a)
    SELECT (coalesce(to_jsonb(a) - 'category', '{}') || jsonb_build_object('category', n.name,
      'mode', coalesce(c.mode, 'draft'), 'promotion', coalesce(c.promotion, 'manual'),
      'min_samples', coalesce(c.min_samples, 50), 'target_rate', coalesce(c.target_rate, 0.95),
      'audit_sample_rate', coalesce(c.audit_sample_rate, 0.1),
      'promoted_at', c.promoted_at, 'demoted_at', c.demoted_at,
      'demote_reason', c.demote_reason,
      'rejection_reasons', coalesce(r.reasons, '{}'::json)))::text
    FROM n LEFT JOIN a ON a.category = n.name LEFT JOIN categories c ON c.name = n.name
    LEFT JOIN r ON r.category = n.name ORDER BY n.name
$$;

-- The same evidence from the rollups (see the top of this file), for the
-- threshold unchanged_j / 100: equal to promotion_evidence_rows(window_s,
-- unchanged_j / 100.0) field by field (tests/integration/promotion_rollup.sh).
-- The window's start t0 and the end of its first day e0 are written out
-- where used (stable expressions the planner takes as index bounds).
CREATE FUNCTION promotion_evidence(window_s int, unchanged_j int) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    WITH pc AS (
      -- auto categories: since when "post" counts (never before the window)
      SELECT c.name, g.l, promo_day(g.l) AS dl,
             (promo_day(g.l) + 1)::timestamp AT TIME ZONE 'UTC' AS el
      FROM categories c CROSS JOIN LATERAL (SELECT greatest(now() - make_interval(secs => window_s),
                                                            coalesce(c.promoted_at, '-infinity')) AS l) g
      WHERE c.mode = 'auto'),
     edge AS (
      -- the window's first day, after its start
      SELECT d.*, true AS inw FROM drafts d
      WHERE coalesce(d.decided_at, d.created_at) > now() - make_interval(secs => window_s)
      AND coalesce(d.decided_at, d.created_at)
          < (promo_day(now() - make_interval(secs => window_s)) + 1)::timestamp AT TIME ZONE 'UTC'
      AND d.origin = 'model' AND d.category IS NOT NULL
      UNION ALL
      -- promoted_at's day, for a category promoted after the window's first day
      SELECT d.*, false FROM pc JOIN drafts d ON d.category = pc.name
      AND coalesce(d.decided_at, d.created_at) > pc.l AND coalesce(d.decided_at, d.created_at) < pc.el
      WHERE pc.l >= (promo_day(now() - make_interval(secs => window_s)) + 1)::timestamp AT TIME ZONE 'UTC'
      AND d.origin = 'model'),
     u AS (
      SELECT r.category, r.bucket, r.reason, true AS inw, coalesce(r.day > pc.dl, false) AS post,
             r.drafted, r.reviewed, r.rejected, r.rejected_wrong, r.never_auto_hits,
             r.shadow_drafts, r.shadow_would_auto, r.shadow_would_auto_reviewed,
             r.shadow_rejected, r.auto_replies, r.samples, r.samples_fine, r.samples_bad,
             r.appr, r.appr_would, r.reasoned
      FROM promo_rollup r LEFT JOIN pc ON pc.name = r.category
      WHERE r.day > promo_day(now() - make_interval(secs => window_s))
      UNION ALL
      SELECT x.category, x.bucket, x.reason, e.inw,
             coalesce(coalesce(e.decided_at, e.created_at) > pc.l
                      AND coalesce(e.decided_at, e.created_at) < pc.el, false),
             x.drafted, x.reviewed, x.rejected, x.rejected_wrong, x.never_auto_hits,
             x.shadow_drafts, x.shadow_would_auto, x.shadow_would_auto_reviewed,
             x.shadow_rejected, x.auto_replies, x.samples, x.samples_fine, x.samples_bad,
             x.appr, x.appr_would, x.reasoned
      FROM edge e LEFT JOIN pc ON pc.name = e.category
      CROSS JOIN LATERAL promo_shares(e.category, e.status, e.reviewer, e.edit_distance,
          e.created_at, e.decided_at, e.origin, e.corrected_category, e.reject_reason,
          e.decision_reasons, e.shadow, e.sampled, e.sample_verdict) x),
     a AS (SELECT category,
      coalesce(sum(drafted) FILTER (WHERE inw), 0)::bigint AS drafted,
      coalesce(sum(reviewed) FILTER (WHERE inw), 0)::bigint AS reviewed,
      coalesce(sum(appr) FILTER (WHERE inw AND bucket <= unchanged_j + 1), 0)::bigint
          AS approved_unchanged,
      coalesce(sum(appr) FILTER (WHERE inw AND bucket > unchanged_j + 1), 0)::bigint
          AS approved_edited,
      coalesce(sum(rejected) FILTER (WHERE inw), 0)::bigint AS rejected,
      coalesce(sum(rejected_wrong) FILTER (WHERE inw), 0)::bigint AS rejected_wrong,
      coalesce(sum(never_auto_hits) FILTER (WHERE inw), 0)::bigint AS never_auto_hits,
      coalesce(sum(shadow_drafts) FILTER (WHERE inw), 0)::bigint AS shadow_drafts,
      coalesce(sum(shadow_would_auto) FILTER (WHERE inw), 0)::bigint AS shadow_would_auto,
      coalesce(sum(shadow_would_auto_reviewed) FILTER (WHERE inw), 0)::bigint
          AS shadow_would_auto_reviewed,
      coalesce(sum(appr_would) FILTER (WHERE inw AND bucket <= unchanged_j + 1), 0)::bigint
          AS shadow_agreed,
      coalesce(sum(appr_would) FILTER (WHERE inw AND bucket > unchanged_j + 1), 0)::bigint
          AS shadow_edited,
      coalesce(sum(shadow_rejected) FILTER (WHERE inw), 0)::bigint AS shadow_rejected,
      coalesce(sum(auto_replies) FILTER (WHERE inw), 0)::bigint AS auto_replies,
      coalesce(sum(samples) FILTER (WHERE inw), 0)::bigint AS samples,
      coalesce(sum(samples_fine) FILTER (WHERE inw), 0)::bigint AS samples_fine,
      coalesce(sum(samples_bad) FILTER (WHERE inw), 0)::bigint AS samples_bad,
      coalesce(sum(reviewed) FILTER (WHERE post), 0)::bigint AS post_reviewed,
      coalesce(sum(appr) FILTER (WHERE post AND bucket <= unchanged_j + 1), 0)::bigint
          AS post_unchanged,
      coalesce(sum(rejected_wrong) FILTER (WHERE post), 0)::bigint AS post_wrong,
      coalesce(sum(samples_fine) FILTER (WHERE post), 0)::bigint AS post_fine,
      coalesce(sum(samples_bad) FILTER (WHERE post), 0)::bigint AS post_bad
      FROM u GROUP BY category
      -- a category with no draft in the window has no counts at all, as before
      HAVING coalesce(sum(drafted) FILTER (WHERE inw), 0) > 0),
     r AS (SELECT category, json_object_agg(reason, n) AS reasons FROM
      (SELECT category, reason, sum(reasoned) FILTER (WHERE inw)::bigint AS n FROM u
       WHERE reason IS NOT NULL GROUP BY 1, 2) x WHERE n > 0 GROUP BY category),
     n AS (SELECT name FROM categories UNION SELECT category FROM a)
    SELECT (coalesce(to_jsonb(a) - 'category', '{}') || jsonb_build_object('category', n.name,
      'mode', coalesce(c.mode, 'draft'), 'promotion', coalesce(c.promotion, 'manual'),
      'min_samples', coalesce(c.min_samples, 50), 'target_rate', coalesce(c.target_rate, 0.95),
      'audit_sample_rate', coalesce(c.audit_sample_rate, 0.1),
      'promoted_at', c.promoted_at, 'demoted_at', c.demoted_at,
      'demote_reason', c.demote_reason,
      'rejection_reasons', coalesce(r.reasons, '{}'::json)))::text
    FROM n LEFT JOIN a ON a.category = n.name LEFT JOIN categories c ON c.name = n.name
    LEFT JOIN r ON r.category = n.name ORDER BY n.name
$$;
