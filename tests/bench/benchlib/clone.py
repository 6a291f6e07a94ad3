# SPDX-License-Identifier: MIT
"""A large review queue made from the drafts the pipeline really made.

Running the pipeline over 100,000 messages takes longer than the whole
bench may, so the queue is filled up by copying the pipeline's drafts and
their messages in SQL: each copy is a new message row (new UID, hashes and
Message-ID, raw mail left out: the listing never reads it) with one draft.
The column lists are read from the database, so new columns are copied too.
"""

# Columns of a copy that must differ from the original (unique keys).
MESSAGE_EXPR = {
    "id": "c.new_msg",
    "uid": "1000000000 + c.new_msg",
    "sha256": "sha256(int8send(c.new_msg))",
    "content_sha256": "sha256(int8send(c.new_msg) || '\\x01'::bytea)",
    "message_id": "m.message_id || '.c' || c.copy",
    "duplicate_of": "NULL",
    "is_duplicate": "false",
    # NULL: the insert trigger computes them from the copy's headers (0195)
    "thread_ids": "NULL",
    "thread_subject": "NULL",
}
DRAFT_EXPR = {"message_id": "c.new_msg", "approve_key": "NULL"}


def columns(svc, url, table):
    # generated columns (messages.status) are computed, never written
    return svc.psql("SELECT column_name, is_nullable FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND table_name = '%s'"
                    " AND is_generated = 'NEVER' ORDER BY ordinal_position" % table, url)


def fill_queue(ctx, url, total):
    """Copies drafts (with their messages) until there are `total` drafts;
    returns how many were added."""
    svc = ctx.svc
    have = int(svc.value("SELECT count(*) FROM drafts", url))
    need = total - have
    if need <= 0 or have == 0:
        return 0
    copies = -(-need // have)
    m_cols, m_exprs = [], []
    for name, nullable in columns(svc, url, "messages"):
        m_cols.append('"%s"' % name)
        if name == "raw" and nullable == "YES":
            m_exprs.append("NULL")
        else:
            m_exprs.append(MESSAGE_EXPR.get(name, 'm."%s"' % name))
    d_cols, d_exprs = [], []
    for name, _ in columns(svc, url, "drafts"):
        if name == "id":
            continue
        d_cols.append('"%s"' % name)
        d_exprs.append(DRAFT_EXPR.get(name, 'd."%s"' % name))
    svc.psql("""
BEGIN;
CREATE TEMP TABLE clone_map ON COMMIT DROP AS
  SELECT s.did, s.mid, s.copy, nextval(pg_get_serial_sequence('messages', 'id')) AS new_msg
  FROM (SELECT d.id AS did, d.message_id AS mid, g AS copy
        FROM drafts d CROSS JOIN generate_series(1, %d) g
        ORDER BY g, d.id LIMIT %d) s;
INSERT INTO messages (%s) SELECT %s FROM clone_map c JOIN messages m ON m.id = c.mid
  ORDER BY c.new_msg;
INSERT INTO drafts (%s) SELECT %s FROM clone_map c JOIN drafts d ON d.id = c.did
  ORDER BY c.new_msg;
COMMIT;
VACUUM ANALYZE messages;
VACUUM ANALYZE drafts;
""" % (copies, need, ", ".join(m_cols), ", ".join(m_exprs), ", ".join(d_cols),
       ", ".join(d_exprs)), url)
    return need
