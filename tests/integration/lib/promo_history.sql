-- SPDX-License-Identifier: MIT
-- Random draft histories and the comparison of the two evidence reads, for
-- tests/integration/promotion_rollup.sh (and by hand: psql -f this file on
-- a migrated database, then SELECT promo_round(0.3, 80); SELECT promo_compare(0.3, 12);).
INSERT INTO mailboxes (id, name, imap_url, imap_user) VALUES (1, 'support', 'imap://x', 'x');
CREATE FUNCTION promo_messages() RETURNS void LANGUAGE sql AS $$
    INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, subject, state)
    SELECT 1, 1, g, sha256(int8send(g)), 10, 'S' || g, 'drafted' FROM generate_series(1, 3000) g
    ON CONFLICT DO NOTHING
$$;
SELECT promo_messages();
-- auto (promoted at random moments), shadow, draft; 'returns' has drafts
-- but no categories row
INSERT INTO categories (name, mode) VALUES ('order_status', 'auto'), ('stock_check', 'shadow'),
    ('other', 'draft'), ('billing', 'auto');

CREATE FUNCTION promo_pick(a anyarray) RETURNS anyelement LANGUAGE sql VOLATILE AS $$
    SELECT a[1 + floor(random() * array_length(a, 1))::int]
$$;

-- An edit distance: on the 0.01 grid, exactly a hundredth as float8 j/100,
-- off it, beyond 1, below 0, NaN, or none.
CREATE FUNCTION promo_ed() RETURNS float8 LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    a float8 := random();
BEGIN
    RETURN CASE WHEN a < 0.10 THEN NULL
                WHEN a < 0.40 THEN floor(random() * 12)::int::float8 / 100
                WHEN a < 0.55 THEN round(random()::numeric, 2)::float8
                WHEN a < 0.60 THEN 0
                WHEN a < 0.65 THEN 1.0 + random()
                WHEN a < 0.67 THEN -0.01
                WHEN a < 0.68 THEN 'NaN'::float8
                WHEN a < 0.72 THEN floor(random() * 12)::int::float8 / 100 + 1e-12
                ELSE random() * 0.3 END;
END $$;

-- One draft stored with every counted column drawn at random, created at
-- created (decided at decided when given).
CREATE FUNCTION promo_insert(created timestamptz, decided timestamptz) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    st text;
    rv text;
    mid bigint;
BEGIN
    st := CASE WHEN decided IS NULL THEN promo_pick(ARRAY['pending', 'claimed', 'superseded'])
               ELSE promo_pick(ARRAY['approved', 'approved', 'sent', 'sent', 'failed', 'rejected',
                                     'rejected', 'auto_sent', 'superseded', 'pending']) END;
    rv := CASE WHEN st = 'auto_sent' THEN 'auto'
               WHEN decided IS NULL THEN NULL
               ELSE promo_pick(ARRAY['rita', 'dave', 'rita', 'dave', 'auto', NULL]) END;
    SELECT m.id INTO mid FROM messages m
    WHERE NOT EXISTS (SELECT 1 FROM drafts d WHERE d.message_id = m.id
                      AND d.status IN ('pending', 'claimed', 'approved'))
    ORDER BY random() LIMIT 1;
    IF mid IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO drafts (message_id, kind, category, subject, body, status, reviewer, created_at,
                        decided_at, origin, edit_distance, corrected_category, reject_reason,
                        decision_reasons, shadow, sampled, sample_verdict)
    VALUES (mid, 'follow_up',
            promo_pick(ARRAY['order_status', 'stock_check', 'other', 'billing', 'returns', NULL]),
            'Re', 'b', st, rv, created, decided,
            CASE WHEN random() < 0.08 THEN 'person' ELSE 'model' END, promo_ed(),
            CASE WHEN random() < 0.1 THEN 'billing' END,
            promo_pick(ARRAY[NULL, 'wrong category', '  Wrong tone', 'too long', '', '  ',
                             'Too Long ', repeat('x', 100), 'not wrong']),
            promo_pick(ARRAY['[]', '["a rule forbids automatic replies"]',
                             '["a rule requires a human", "x"]', '["low confidence"]']::jsonb[]),
            promo_pick(ARRAY[NULL, '{"would_auto": true}', '{"would_auto": false}', '{}']::jsonb[]),
            random() < 0.2, promo_pick(ARRAY[NULL, NULL, 'fine', 'bad']));
END $$;

-- One round of random changes; seed first.
CREATE FUNCTION promo_round(seed float8, steps int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i int;
    a float8;
    did bigint;
    c timestamptz;
BEGIN
    PERFORM setseed(seed);
    FOR i IN 1 .. steps LOOP
        a := random();
        SELECT id INTO did FROM drafts ORDER BY random() LIMIT 1;
        -- a step the constraints refuse is rolled back to its savepoint,
        -- its rollup shares with it
        BEGIN
        IF a < 0.40 OR did IS NULL THEN
            -- created on any of the last 45 days (some in the future by a
            -- clock's skew), decided up to 3 days later, or pending
            c := now() - random() * interval '45 days' + interval '1 hour';
            PERFORM promo_insert(c, CASE WHEN random() < 0.6 THEN
                                 c + random() * random() * interval '3 days' END);
        ELSIF a < 0.44 THEN
            -- several drafts in one statement
            INSERT INTO drafts (message_id, kind, category, status, created_at, origin, shadow)
            SELECT m.id, 'follow_up', promo_pick(ARRAY['order_status', 'stock_check', 'returns']),
                   'pending', now() - random() * interval '40 days', 'model',
                   '{"would_auto": true}'
            FROM messages m WHERE NOT EXISTS (SELECT 1 FROM drafts d WHERE d.message_id = m.id
                                              AND d.status IN ('pending', 'claimed', 'approved'))
            ORDER BY random() LIMIT 2 + floor(random() * 4)::int;
        ELSIF a < 0.47 THEN
            UPDATE drafts SET status = 'claimed' WHERE id = did AND status = 'pending';
        ELSIF a < 0.62 THEN
            -- a person's decision, some time after the draft was made
            UPDATE drafts SET status = promo_pick(ARRAY['approved', 'sent', 'failed', 'rejected']),
                   reviewer = promo_pick(ARRAY['rita', 'dave', 'rita', 'auto', NULL]),
                   decided_at = created_at + random() * random() * interval '3 days',
                   edit_distance = promo_ed(),
                   reject_reason = promo_pick(ARRAY[NULL, 'wrong category', 'Too long', 'WRONG facts']),
                   corrected_category = CASE WHEN random() < 0.15 THEN 'other' END
            WHERE id = did;
        ELSIF a < 0.65 THEN
            UPDATE drafts SET status = 'auto_sent', reviewer = 'auto', decided_at = created_at,
                   sampled = random() < 0.5
            WHERE id = did;
        ELSIF a < 0.68 THEN
            UPDATE drafts SET sample_verdict = promo_pick(ARRAY['fine', 'bad', NULL]),
                   sampled = true WHERE id = did;
        ELSIF a < 0.70 THEN
            UPDATE drafts SET status = 'superseded' WHERE id = did;
        ELSIF a < 0.74 THEN
            UPDATE drafts SET category = promo_pick(ARRAY['order_status', 'billing', 'returns', NULL])
            WHERE id IN (SELECT id FROM drafts ORDER BY random() LIMIT 3);
        ELSIF a < 0.77 THEN
            -- back to pending (an undo within the send delay), the decision kept or not
            UPDATE drafts SET status = 'pending',
                   decided_at = CASE WHEN random() < 0.5 THEN NULL ELSE decided_at END
            WHERE id = did;
        ELSIF a < 0.80 THEN
            UPDATE drafts SET body = body || '.', version = version + 1 WHERE id = did;
        ELSIF a < 0.86 THEN
            UPDATE drafts SET shadow = promo_pick(ARRAY[NULL, '{"would_auto": true}',
                                                        '{"would_auto": false}']::jsonb[]),
                   decision_reasons = promo_pick(ARRAY['[]', '["a rule requires a human"]']::jsonb[])
            WHERE id = did;
        ELSIF a < 0.89 THEN
            UPDATE drafts SET origin = CASE origin WHEN 'model' THEN 'person' ELSE 'model' END
            WHERE id = did;
        ELSIF a < 0.93 THEN
            -- a category promoted (or demoted) at some moment of the last 40 days
            UPDATE categories SET mode = promo_pick(ARRAY['auto', 'auto', 'shadow']),
                   promoted_at = CASE WHEN random() < 0.2 THEN NULL
                                      ELSE now() - random() * interval '40 days' END
            WHERE name = promo_pick(ARRAY['order_status', 'billing', 'stock_check']);
        ELSIF a < 0.95 THEN
            UPDATE drafts SET decided_at = decided_at + interval '1 day' * (random() - 0.5)
            WHERE id = did AND decided_at IS NOT NULL;
        ELSE
            DELETE FROM drafts WHERE id IN (did, (SELECT id FROM drafts ORDER BY random() LIMIT 1));
        END IF;
        EXCEPTION WHEN unique_violation THEN
            NULL;
        END;
    END LOOP;
END $$;

-- The fields of the two reads that differ for one window and threshold
-- (NULL when equal).
CREATE FUNCTION promo_diff(w int, j int) RETURNS text LANGUAGE sql AS $$
    WITH f AS (SELECT x::jsonb AS v FROM promotion_evidence(w, j) x),
         o AS (SELECT x::jsonb AS v FROM promotion_evidence_rows(w, j::float8 / 100) x),
         d AS (SELECT coalesce(f.v->>'category', o.v->>'category') AS cat, k,
                      f.v->k AS fast, o.v->k AS rows
               FROM f FULL JOIN o ON f.v->>'category' = o.v->>'category'
               CROSS JOIN LATERAL jsonb_object_keys(coalesce(f.v, '{}') || coalesce(o.v, '{}')) k
               WHERE f.v->k IS DISTINCT FROM o.v->k)
    SELECT string_agg(format('window %s s, threshold %s/100: %s.%s differs: rollups %s, rows %s',
                             w, j, cat, k, coalesce(fast::text, 'absent'),
                             coalesce(rows::text, 'absent')), E'\n')
    FROM (SELECT * FROM d ORDER BY cat, k LIMIT 3) d
$$;

-- n windows and thresholds after the seed; each adds drafts exactly on its
-- start, just after it, on its first day's end and just around it, and
-- sometimes moves a category's promotion onto those moments (the caller
-- rolls all of it back). Returns the differences, or NULL.
CREATE FUNCTION promo_compare(seed float8, n int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    i int;
    w int;
    j int;
    t0 timestamptz;
    e0 timestamptz;
    k timestamptz;
    out text := '';
    d text;
BEGIN
    PERFORM setseed(seed);
    FOR i IN 1 .. n LOOP
        w := CASE i % 4 WHEN 0 THEN 30 * 86400
                        WHEN 1 THEN 3600 + floor(random() * 45 * 86400)::int
                        WHEN 2 THEN 60 + floor(random() * 86400)::int
                        -- the window's start within a second after midnight UTC
                        ELSE floor(extract(epoch FROM now()))::int % 86400
                             + floor(random() * 40)::int * 86400 END;
        j := CASE i % 3 WHEN 0 THEN 5 WHEN 1 THEN floor(random() * 12)::int
                        ELSE floor(random() * 101)::int END;
        t0 := now() - make_interval(secs => w);
        e0 := ((t0 AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC';
        FOREACH k IN ARRAY ARRAY[t0, t0 + interval '1 microsecond', e0 - interval '1 microsecond',
                                 e0, e0 + interval '1 microsecond'] LOOP
            BEGIN
                PERFORM promo_insert(k, NULL);
                PERFORM promo_insert(k - random() * interval '2 days', k);
            EXCEPTION WHEN unique_violation THEN
                NULL;
            END;
        END LOOP;
        IF random() < 0.5 THEN
            UPDATE categories SET mode = 'auto',
                   promoted_at = promo_pick(ARRAY[t0, t0 + interval '1 microsecond', e0,
                                                  e0 - interval '1 microsecond',
                                                  e0 + random() * interval '5 days',
                                                  t0 - interval '3 days', NULL])
            WHERE name = promo_pick(ARRAY['order_status', 'billing']);
        END IF;
        d := promo_diff(w, j);
        IF d IS NOT NULL THEN
            out := out || d || E'\n';
        END IF;
    END LOOP;
    RETURN nullif(out, '');
END $$;
