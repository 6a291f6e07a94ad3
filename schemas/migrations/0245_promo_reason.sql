-- What a person's rejection reason says, written once. The evidence groups
-- rejections by their reason (rejection_reasons) and counts those that say
-- the draft was wrong (rejected_wrong, post_wrong); migration 0200's
-- promo_shares() (the rollups' shares of one draft: 0215's trigger, the
-- edge day of promotion_evidence(), promo_rollup_expected and with it
-- promo_rollup_drift and the rebuild) and 0201's promotion_evidence_rows()
-- (the read of every draft, 0216's version) each spelt both out. They now
-- call promo_reason() and promo_rejected_wrong(), so a change to what a
-- reason means reaches the rollups and the read of every draft alike
-- (tests/integration/promotion_rollup.sh changes them and sees both
-- reads follow). The two functions below are 0200's and 0216's otherwise
-- unchanged.
--
-- Both helpers are plain SQL expressions, IMMUTABLE like everything they
-- call: PostgreSQL inlines them into the caller's plan, which keeps its
-- shape (EXPLAIN of the statements before and after: see the commit).
-- The rollups hold the reason as promo_reason() gives it: a change to it
-- needs promo_rollup_rebuild() (draftd stats --rebuild) in the same
-- migration.

-- The key a rejection reason is grouped under: lower case, blanks trimmed,
-- at most 80 characters; '(no reason)' for none. An empty reason stays ''.
CREATE FUNCTION promo_reason(reject_reason text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(left(lower(btrim(reject_reason)), 80), '(no reason)')
$$;

-- A rejection says the draft was wrong: it names a corrected category, or
-- its reason starts with "wrong". (The same test as the old
-- lower(ltrim(coalesce(reason, ''))) LIKE 'wrong%': trimming the end and
-- cutting at 80 characters keep the first five, '(no reason)' is no match.)
CREATE FUNCTION promo_rejected_wrong(corrected_category text, reject_reason text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT corrected_category IS NOT NULL OR promo_reason(reject_reason) LIKE 'wrong%'
$$;

-- (CREATE OR REPLACE keeps the functions' identity: the trigger, the view
-- and promotion_evidence() keep calling them.)
CREATE OR REPLACE FUNCTION promo_shares(category text, status text, reviewer text,
                                        edit_distance float8, created_at timestamptz,
                                        decided_at timestamptz, origin text,
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
                 f.human AND status = 'rejected'
                     AND promo_rejected_wrong(corrected_category, reject_reason) AS wrong
          FROM (SELECT promo_day(coalesce(decided_at, created_at)) AS day,
                       coalesce(reviewer IS NOT NULL AND reviewer <> 'auto'
                                AND status IN ('approved', 'sent', 'failed', 'rejected'), false)
                           AS human,
                       coalesce((shadow->>'would_auto')::boolean, false) AS would) f) g
    WHERE origin = 'model' AND category IS NOT NULL
    UNION ALL
    SELECT promo_day(coalesce(decided_at, created_at)), category, promo_reason(reject_reason),
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, NULL, NULL
    WHERE origin = 'model' AND category IS NOT NULL AND reviewer IS NOT NULL
    AND reviewer <> 'auto' AND status = 'rejected'
$$;

CREATE OR REPLACE FUNCTION promotion_evidence_rows(window_s int, threshold float8) RETURNS SETOF text
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
      human AND status = 'rejected' AND promo_rejected_wrong(corrected_category, reject_reason)
       AS wrong FROM w),
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
     r AS (SELECT category, promo_reason(reject_reason) AS reason,
       count(*) AS n FROM w WHERE human AND status = 'rejected' GROUP BY 1, 2)
    SELECT e.evidence
    FROM (SELECT jsonb_object_agg(category, to_jsonb(a) - 'category') AS counts FROM a) ac
    CROSS JOIN (SELECT array_agg(ROW(category, reason, n)::promo_reason_count) AS reasons FROM r) rc
    CROSS JOIN LATERAL promotion_evidence_json(ac.counts, rc.reasons) e
    ORDER BY e.category
$$;
