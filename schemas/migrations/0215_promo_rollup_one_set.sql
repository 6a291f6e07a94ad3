-- Review leftover of migration 0200: promo_rollup_on_change() wrote its
-- grouped upsert into promo_rollup out three times (INSERT, UPDATE,
-- DELETE) and a fourth, unsummed, for a one-row INSERT. It now works the
-- way draft_rollup_on_change() does since migration 0206: the first step
-- takes the statement's rows as one signed set (new rows +1, old rows -1;
-- for an UPDATE only the drafts whose counted columns changed), then one
-- grouped upsert over that set writes the shares. What it writes is what
-- the old function wrote (tests/integration/promotion_rollup.sh compares
-- the rollups with the read of every draft after random histories, and
-- promo_rollup_drift with a rebuild from the drafts).
--
-- PostgreSQL allows a transition table only on a trigger for one event,
-- and a function may only name the transition tables its trigger has:
-- the first step is therefore per event (a few lines each); the upsert
-- is planned once and shared. The one-row INSERT has no path of its own
-- any more (0200's skipped the summing): the pipeline stores its drafts a
-- batch per INSERT, where the two cost the same (backend CPU at load
-- 11-13, 32 drafts a statement: the trigger's share 0.014 ms per draft
-- before and after); a one-row statement (a batch of one, a reply a
-- person writes) pays about 0.05 ms more for the grouping, the price of
-- keeping one upsert.

-- One changed draft: its sign and the columns promo_shares() reads.
CREATE TYPE promo_rollup_change AS (
    s                  int,
    category           text,
    status             text,
    reviewer           text,
    edit_distance      float8,
    created_at         timestamptz,
    decided_at         timestamptz,
    origin             text,
    corrected_category text,
    reject_reason      text,
    decision_reasons   jsonb,
    shadow             jsonb,
    sampled            boolean,
    sample_verdict     text
);

-- (CREATE OR REPLACE keeps the function's identity, so 0200's four
-- triggers on drafts keep calling it.)
CREATE OR REPLACE FUNCTION promo_rollup_on_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ch_rows promo_rollup_change[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(ROW(1, category, status, reviewer, edit_distance, created_at,
                             decided_at, origin, corrected_category, reject_reason,
                             decision_reasons, shadow, sampled, sample_verdict)::promo_rollup_change)
        INTO ch_rows FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(ROW(-1, category, status, reviewer, edit_distance, created_at,
                             decided_at, origin, corrected_category, reject_reason,
                             decision_reasons, shadow, sampled, sample_verdict)::promo_rollup_change)
        INTO ch_rows FROM old_rows;
    ELSE
        -- only drafts whose counted columns changed (edits, claims and their
        -- heartbeats change none: a claimed draft counts as a pending one)
        SELECT array_agg(u.c) INTO ch_rows
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES
            (ROW(-1, o.category, o.status, o.reviewer, o.edit_distance, o.created_at,
                 o.decided_at, o.origin, o.corrected_category, o.reject_reason,
                 o.decision_reasons, o.shadow, o.sampled, o.sample_verdict)::promo_rollup_change),
            (ROW(1, n.category, n.status, n.reviewer, n.edit_distance, n.created_at,
                 n.decided_at, n.origin, n.corrected_category, n.reject_reason,
                 n.decision_reasons, n.shadow, n.sampled, n.sample_verdict)::promo_rollup_change)) u(c)
        WHERE (o.category, CASE o.status WHEN 'claimed' THEN 'pending' ELSE o.status END,
               o.reviewer, o.edit_distance, o.created_at, o.decided_at, o.origin,
               o.corrected_category, o.reject_reason, o.decision_reasons, o.shadow, o.sampled,
               o.sample_verdict)
              IS DISTINCT FROM
              (n.category, CASE n.status WHEN 'claimed' THEN 'pending' ELSE n.status END,
               n.reviewer, n.edit_distance, n.created_at, n.decided_at, n.origin,
               n.corrected_category, n.reject_reason, n.decision_reasons, n.shadow, n.sampled,
               n.sample_verdict);
    END IF;
    IF ch_rows IS NULL THEN
        RETURN NULL;
    END IF;
    -- the shares summed per rollup row first, one upsert per statement, in
    -- one lock order for every statement (two transactions upserting the
    -- same rows wait instead of deadlocking)
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
        FROM unnest(ch_rows) ch
        CROSS JOIN LATERAL promo_shares(ch.category, ch.status, ch.reviewer, ch.edit_distance,
            ch.created_at, ch.decided_at, ch.origin, ch.corrected_category, ch.reject_reason,
            ch.decision_reasons, ch.shadow, ch.sampled, ch.sample_verdict) x
        GROUP BY x.day, x.category, x.reason)
    INSERT INTO promo_rollup AS r
    SELECT g.day, g.category, g.reason,
           CASE WHEN g.reason IS NULL THEN pg_backend_pid() % 64 ELSE 0 END::smallint,
           g.drafted, g.reviewed, g.rejected, g.rejected_wrong, g.never_auto_hits,
           g.shadow_drafts, g.shadow_would_auto, g.shadow_would_auto_reviewed,
           g.shadow_rejected, g.auto_replies, g.samples, g.samples_fine, g.samples_bad,
           g.reasoned, g.appr_cum, g.would_cum
    FROM g
    -- shares that cancel out (a change that moves no count, e.g. another
    -- decision reason than the rules' two) write nothing
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
    RETURN NULL;
END $$;
