-- Issue 14, ingest: `draftd poll --once` stores a pass's batches on two
-- connections at once, so a batch may commit before the one below it. The
-- checkpoint (last_uid) may then move only over a contiguous prefix of
-- committed batches: pending_uids holds the UID ranges committed above it.
-- A batch covers (after, upto]: the UIDs above the previous batch of its
-- pass (or above the checkpoint the pass started from) up to its last one,
-- the expunged ones included. On commit the batch's range joins the
-- pending ones and [0, last_uid]; the checkpoint becomes the end of the
-- range that starts at 0, and the rest stays pending. Both are computed in
-- the UPDATE from the row's values, so two batches committing at once
-- serialise on the row and the second sees the first's result (READ
-- COMMITTED re-evaluates an UPDATE's expressions on the row it waited for).
-- A crash after the upper batch committed and before the lower one did
-- leaves the checkpoint below both: the next pass fetches the upper UIDs
-- again and finds them stored (same UID), so nothing is stored twice, and
-- its first batch joins the pending range again.
ALTER TABLE mailboxes ADD COLUMN pending_uids int8multirange NOT NULL DEFAULT '{}';

CREATE FUNCTION draftd_uid_ranges(last_uid bigint, pending int8multirange, after bigint,
                                  upto bigint) RETURNS int8multirange
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pending + int8multirange(int8range(0, last_uid + 1),
                                    int8range(after + 1, GREATEST(after, upto) + 1))
$$;

-- The checkpoint once the batch (after, upto] is committed.
CREATE FUNCTION draftd_uid_checkpoint(last_uid bigint, pending int8multirange, after bigint,
                                      upto bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT upper(r) - 1 FROM unnest(draftd_uid_ranges(last_uid, pending, after, upto)) r
    ORDER BY lower(r) LIMIT 1
$$;

-- The ranges left pending above that checkpoint.
CREATE FUNCTION draftd_uid_pending(last_uid bigint, pending int8multirange, after bigint,
                                   upto bigint) RETURNS int8multirange
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT draftd_uid_ranges(last_uid, pending, after, upto)
        - int8multirange(int8range(0, draftd_uid_checkpoint(last_uid, pending, after, upto) + 1))
$$;
