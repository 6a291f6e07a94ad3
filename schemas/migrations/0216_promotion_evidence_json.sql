-- Review leftover of migration 0201: promotion_evidence() (from the
-- rollups) and promotion_evidence_rows() (from every draft of the window)
-- each ended in the same step that turns a category's counts and its
-- rejection reasons into the JSON draftd reads (with the category's mode
-- and promotion settings). That step is now one function both call,
-- promotion_evidence_json(), so a change to the reasons or the JSON
-- cannot reach only one of the two reads (tests/integration/
-- promotion_rollup.sh compares them field by field, and checks that a
-- change to this function shows in both). The two functions below are
-- 0201's up to their counts (a) and reason counts (r), unchanged.
-- Cost (backend CPU per read of 30 days, 519 drafts, 200 reads a round,
-- 6 paired rounds at load 15, medians): promotion_evidence() 0.85 ms
-- before, 1.08 ms now; promotion_evidence_rows() 1.01 before, 1.16 now.
-- Called with subqueries as its arguments, the shared function was not
-- inlined and was planned on every call (1.9 ms).

-- One rejection reason of one category and how many rejections gave it.
CREATE TYPE promo_reason_count AS (category text, reason text, n bigint);

-- The evidence rows, one per category (every configured one and every one
-- with counts): counts maps a category to its counts object (NULL: none),
-- reasons lists its rejection reasons (NULL: none; a reason with n <= 0
-- or NULL is left out: its shares cancelled out). The callers sort by
-- category. A plain SQL function called with plain values (LATERAL, not
-- subqueries): PostgreSQL inlines it into the caller's plan, so it costs
-- no planning of its own per call.
CREATE FUNCTION promotion_evidence_json(counts jsonb, reasons promo_reason_count[])
RETURNS TABLE (category text, evidence text) LANGUAGE sql STABLE AS $$
    WITH r AS (SELECT x.category, jsonb_object_agg(x.reason, x.n) AS reasons
               FROM unnest(reasons) x WHERE x.n > 0 GROUP BY x.category),
         n AS (SELECT name FROM categories UNION SELECT jsonb_object_keys(counts))
    SELECT n.name, (coalesce(counts->n.name, '{}') || jsonb_build_object('category', n.name,
      'mode', coalesce(c.mode, 'draft'), 'promotion', coalesce(c.promotion, 'manual'),
      'min_samples', coalesce(c.min_samples, 50), 'target_rate', coalesce(c.target_rate, 0.95),
      'audit_sample_rate', coalesce(c.audit_sample_rate, 0.1),
      'promoted_at', c.promoted_at, 'demoted_at', c.demoted_at,
      'demote_reason', c.demote_reason,
      'rejection_reasons', coalesce(r.reasons, '{}'::jsonb)))::text
    FROM n LEFT JOIN categories c ON c.name = n.name LEFT JOIN r ON r.category = n.name
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
     r AS (SELECT category, coalesce(left(lower(btrim(reject_reason)), 80), '(no reason)') AS reason,
       count(*) AS n FROM w WHERE human AND status = 'rejected' GROUP BY 1, 2)
    SELECT e.evidence
    FROM (SELECT jsonb_object_agg(category, to_jsonb(a) - 'category') AS counts FROM a) ac
    CROSS JOIN (SELECT array_agg(ROW(category, reason, n)::promo_reason_count) AS reasons FROM r) rc
    CROSS JOIN LATERAL promotion_evidence_json(ac.counts, rc.reasons) e
    ORDER BY e.category
$$;

CREATE OR REPLACE FUNCTION promotion_evidence(window_s int, unchanged_j int) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    WITH pc AS (
      -- auto categories: since when "post" counts (never before the window)
      SELECT c.name, g.l, promo_day(g.l) AS dl,
             (promo_day(g.l) + 1)::timestamp AT TIME ZONE 'UTC' AS el
      FROM categories c
      CROSS JOIN LATERAL (SELECT greatest(now() - make_interval(secs => window_s),
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
      -- promoted_at's day, for a category promoted after the window's first
      -- day (coalesce: the category index would fetch every draft of the
      -- category before the day's few)
      SELECT d.*, false FROM pc JOIN drafts d ON coalesce(d.category, '') = pc.name
      AND coalesce(d.decided_at, d.created_at) > pc.l
      AND coalesce(d.decided_at, d.created_at) < pc.el
      WHERE pc.l >= (promo_day(now() - make_interval(secs => window_s)) + 1)::timestamp
                    AT TIME ZONE 'UTC'
      AND d.origin = 'model'),
     u AS (
      SELECT r.category, r.reason, true AS inw, coalesce(r.day > pc.dl, false) AS post,
             r.drafted, r.reviewed, r.rejected, r.rejected_wrong, r.never_auto_hits,
             r.shadow_drafts, r.shadow_would_auto, r.shadow_would_auto_reviewed,
             r.shadow_rejected, r.auto_replies, r.samples, r.samples_fine, r.samples_bad,
             r.reasoned,
             coalesce(r.appr_cum[unchanged_j + 1], 0) AS appr_le, coalesce(r.appr_cum[102], 0) AS appr_all,
             coalesce(r.would_cum[unchanged_j + 1], 0) AS would_le, coalesce(r.would_cum[102], 0) AS would_all
      FROM promo_rollup r LEFT JOIN pc ON pc.name = r.category
      WHERE r.day > promo_day(now() - make_interval(secs => window_s))
      UNION ALL
      SELECT x.category, x.reason, e.inw,
             coalesce(coalesce(e.decided_at, e.created_at) > pc.l
                      AND coalesce(e.decided_at, e.created_at) < pc.el, false),
             x.drafted, x.reviewed, x.rejected, x.rejected_wrong, x.never_auto_hits,
             x.shadow_drafts, x.shadow_would_auto, x.shadow_would_auto_reviewed,
             x.shadow_rejected, x.auto_replies, x.samples, x.samples_fine, x.samples_bad,
             x.reasoned,
             coalesce(x.appr_bucket <= unchanged_j + 1, false)::int, (x.appr_bucket IS NOT NULL)::int,
             coalesce(x.would_bucket <= unchanged_j + 1, false)::int, (x.would_bucket IS NOT NULL)::int
      FROM edge e LEFT JOIN pc ON pc.name = e.category
      CROSS JOIN LATERAL promo_shares(e.category, e.status, e.reviewer, e.edit_distance,
          e.created_at, e.decided_at, e.origin, e.corrected_category, e.reject_reason,
          e.decision_reasons, e.shadow, e.sampled, e.sample_verdict) x),
     a AS (SELECT category,
      coalesce(sum(drafted) FILTER (WHERE inw), 0)::bigint AS drafted,
      coalesce(sum(reviewed) FILTER (WHERE inw), 0)::bigint AS reviewed,
      coalesce(sum(appr_le) FILTER (WHERE inw), 0)::bigint AS approved_unchanged,
      coalesce(sum(appr_all - appr_le) FILTER (WHERE inw), 0)::bigint AS approved_edited,
      coalesce(sum(rejected) FILTER (WHERE inw), 0)::bigint AS rejected,
      coalesce(sum(rejected_wrong) FILTER (WHERE inw), 0)::bigint AS rejected_wrong,
      coalesce(sum(never_auto_hits) FILTER (WHERE inw), 0)::bigint AS never_auto_hits,
      coalesce(sum(shadow_drafts) FILTER (WHERE inw), 0)::bigint AS shadow_drafts,
      coalesce(sum(shadow_would_auto) FILTER (WHERE inw), 0)::bigint AS shadow_would_auto,
      coalesce(sum(shadow_would_auto_reviewed) FILTER (WHERE inw), 0)::bigint
          AS shadow_would_auto_reviewed,
      coalesce(sum(would_le) FILTER (WHERE inw), 0)::bigint AS shadow_agreed,
      coalesce(sum(would_all - would_le) FILTER (WHERE inw), 0)::bigint AS shadow_edited,
      coalesce(sum(shadow_rejected) FILTER (WHERE inw), 0)::bigint AS shadow_rejected,
      coalesce(sum(auto_replies) FILTER (WHERE inw), 0)::bigint AS auto_replies,
      coalesce(sum(samples) FILTER (WHERE inw), 0)::bigint AS samples,
      coalesce(sum(samples_fine) FILTER (WHERE inw), 0)::bigint AS samples_fine,
      coalesce(sum(samples_bad) FILTER (WHERE inw), 0)::bigint AS samples_bad,
      coalesce(sum(reviewed) FILTER (WHERE post), 0)::bigint AS post_reviewed,
      coalesce(sum(appr_le) FILTER (WHERE post), 0)::bigint AS post_unchanged,
      coalesce(sum(rejected_wrong) FILTER (WHERE post), 0)::bigint AS post_wrong,
      coalesce(sum(samples_fine) FILTER (WHERE post), 0)::bigint AS post_fine,
      coalesce(sum(samples_bad) FILTER (WHERE post), 0)::bigint AS post_bad
      FROM u WHERE reason IS NULL GROUP BY category
      -- a category with no draft in the window has no counts at all, as before
      HAVING coalesce(sum(drafted) FILTER (WHERE inw), 0) > 0),
     r AS (SELECT category, reason, sum(reasoned) FILTER (WHERE inw)::bigint AS n FROM u
       WHERE reason IS NOT NULL GROUP BY 1, 2)
    SELECT e.evidence
    FROM (SELECT jsonb_object_agg(category, to_jsonb(a) - 'category') AS counts FROM a) ac
    CROSS JOIN (SELECT array_agg(ROW(category, reason, n)::promo_reason_count) AS reasons FROM r) rc
    CROSS JOIN LATERAL promotion_evidence_json(ac.counts, rc.reasons) e
    ORDER BY e.category
$$;
