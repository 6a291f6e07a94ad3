#!/usr/bin/python3
"""Writes N distinct messages into a Maildir's new/ for `make bench`.

    genmail.py MAILDIR_NEW N PREFIX TEMPLATE.eml...

Message i is template i % len(templates) with a fresh Message-ID and a
sequence header, so every message is stored (no redelivery duplicate) and the
pipeline sees the same mix of requests, noise and injection as the sample
mailbox it came from.
"""
import os
import re
import sys


def main():
    new, n, prefix, templates = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    bodies = []
    for path in sorted(templates):
        with open(path, "rb") as f:
            raw = f.read()
        raw = re.sub(rb"(?im)^message-id:[^\n]*\n", b"", raw, count=1)
        bodies.append(raw)
    for i in range(n):
        raw = bodies[i % len(bodies)]
        head = b"Message-ID: <%s-%d@bench.example>\nX-Bench-Seq: %d\n" % (
            prefix.encode(), i, i)
        name = os.path.join(new, "%s.%07d.M1P1.bench" % (prefix, i))
        with open(name, "wb") as f:
            f.write(head + raw)


if __name__ == "__main__":
    main()
