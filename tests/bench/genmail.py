#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Deterministic mixed support mail for `make bench`.

    genmail.py --out DIR --count N [--seed S] [--bytes B] [--attach-share F]
               [--prefix P] [--templates DIR] [--data DIR]

Writes N messages as DIR/P.NNNNNNN.M1P1.bench (Maildir new/ names). The same
arguments always give the same bytes. Message i is a template of the demo
mailbox (requests in four languages, order questions, complaints, a
newsletter, an auto-reply, a bounce, a prompt injection, HTML) chosen by a
seeded generator, with what a real inbox adds: a Received chain, a DKIM
signature, Authentication-Results, a fresh Message-ID and Date, SKUs drawn
from the demo inventory (a few unknown ones), quoted history under a quarter
of them, and, under --attach-share of them (12%), a PDF or JPEG attachment of
incompressible bytes. Attachment sizes are scaled so that the whole set is
--bytes long (default 6,700 bytes a message: 10,000 messages are 67 MB, the
size of issue 14's measurements).

Prints one line: "messages=N bytes=B attachments=A".
"""
import argparse
import base64
import glob
import math
import os
import random
import re
import sys

DEFAULT_BYTES_PER_MESSAGE = 6700


def read_templates(tdir):
    out = []
    for path in sorted(glob.glob(os.path.join(tdir, "*.eml"))):
        with open(path, "rb") as f:
            raw = f.read().replace(b"\r\n", b"\n")
        head, _, body = raw.partition(b"\n\n")
        out.append((os.path.basename(path), head, body))
    if not out:
        sys.exit("genmail: no *.eml templates in %s" % tdir)
    return out


def read_skus(ddir):
    skus = []
    path = os.path.join(ddir, "inventory.csv")
    if os.path.exists(path):
        with open(path) as f:
            next(f, None)
            skus = [line.split(",", 1)[0] for line in f if line.strip()]
    return skus or ["HP-21030"]


def header_lines(head):
    """Header fields of a template, folded lines kept with their field."""
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\n" + line
        elif line:
            fields.append(line)
    return fields


def field_name(field):
    return field.split(b":", 1)[0].strip().lower()


def trace_headers(rng, i, date):
    ips = ["198.51.100.%d" % rng.randint(2, 250), "203.0.113.%d" % rng.randint(2, 250)]
    hops = []
    for hop in range(rng.randint(2, 4)):
        hops.append(b"Received: from mx%d.relay.example (mx%d.relay.example [%s])\n"
                    b"\tby mx.harborparts.example (Postfix) with ESMTPS id %s\n"
                    b"\tfor <support@harborparts.example>; %s" % (
                        hop, hop, ips[hop % 2].encode(),
                        b"%08X" % rng.getrandbits(32), date))
    sig = base64.b64encode(rng.randbytes(128))
    bh = base64.b64encode(rng.randbytes(32))
    hops.append(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=mail.example;\n"
                b"\ts=s%d; t=%d; h=from:to:subject:date:message-id;\n\tbh=%s;\n\tb=%s" % (
                    i % 4, 1742198400 + i, bh, sig[:72] + b"\n\t " + sig[72:]))
    hops.append(b"Authentication-Results: mx.harborparts.example; spf=pass\n"
                b"\tsmtp.mailfrom=mail.example; dkim=pass header.d=mail.example;\n"
                b"\tdmarc=pass header.from=mail.example")
    hops.append(b"X-Mailer: %s" % rng.choice([b"Microsoft Outlook 16.0", b"Thunderbird 115.8.1",
                                              b"Apple Mail (2.3774)", b"Roundcube Webmail 1.6"]))
    return hops


def quoted_history(rng, date):
    words = (b"thanks for the quick reply regarding the delivery we will check with our "
             b"warehouse team and come back to you about the remaining items on the list "
             b"please confirm the lead time and the price per unit as discussed").split()
    lines = [b"", b"On %s, Harbor Parts Support wrote:" % date]
    for _ in range(rng.randint(5, 40)):
        lines.append(b"> " + b" ".join(rng.choice(words) for _ in range(rng.randint(6, 12))))
    return b"\n".join(lines) + b"\n"


def attachment_part(rng, boundary, size, i):
    if rng.random() < 0.7:
        ctype, name = b"application/pdf", b"invoice-%d.pdf" % i
        data = b"%PDF-1.4\n" + rng.randbytes(max(size - 9, 0))
    else:
        ctype, name = b"image/jpeg", b"photo-%d.jpg" % i
        data = b"\xff\xd8\xff\xe0" + rng.randbytes(max(size - 4, 0))
    b64 = base64.b64encode(data)
    lines = [b64[k:k + 76] for k in range(0, len(b64), 76)]
    return (b"--%s\nContent-Type: %s; name=\"%s\"\nContent-Transfer-Encoding: base64\n"
            b"Content-Disposition: attachment; filename=\"%s\"\n\n%s\n" % (
                boundary, ctype, name, name, b"\n".join(lines)))


def build(rng, i, prefix, tmpl, skus, date):
    """Message i without its attachment: (header fields, content headers, body)."""
    _, head, body = tmpl
    keep, content = [], []
    for field in header_lines(head):
        name = field_name(field)
        if name in (b"message-id", b"date"):
            continue
        if name in (b"content-type", b"content-transfer-encoding", b"mime-version"):
            content.append(field)
        else:
            keep.append(field)
    # The same SKU stays the same within a message, so a request keeps its sense.
    mapping = {}

    def sku(m):
        if m.group(0) not in mapping:
            mapping[m.group(0)] = (b"HP-9%04d" % rng.randint(0, 9999) if rng.random() < 0.05
                                   else rng.choice(skus).encode())
        return mapping[m.group(0)]

    body = re.sub(rb"HP-\d{5}", sku, body)
    keep = [re.sub(rb"HP-\d{5}", sku, f) if field_name(f) == b"subject" else f for f in keep]
    plain = not any(b"multipart" in f.lower() or b"html" in f.lower() for f in content)
    if plain and rng.random() < 0.25:
        body = body.rstrip(b"\n") + b"\n" + quoted_history(rng, date)
    fields = trace_headers(rng, i, date) + keep + [
        b"Date: %s" % date, b"Message-ID: <%s-%d@bench.example>" % (prefix.encode(), i),
        b"X-Bench-Seq: %d" % i]
    return fields, content, body


def render(fields, content, body, attachment=None, boundary=b""):
    if attachment is None:
        return b"\n".join(fields + content) + b"\n\n" + body
    inner = [f for f in content if field_name(f) != b"mime-version"]
    if not inner:
        inner = [b"Content-Type: text/plain; charset=utf-8"]
    return (b"\n".join(fields) + b"\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
            b"This is a multi-part message in MIME format.\n--%s\n%s\n\n%s\n%s--%s--\n" % (
                boundary, boundary, b"\n".join(inner), body.rstrip(b"\n"), attachment,
                boundary))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    demo = os.path.join(here, "..", "..", "deploy", "demo")
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--bytes", type=int, default=0, help="total size (default 6,700 x count)")
    ap.add_argument("--attach-share", type=float, default=0.12)
    ap.add_argument("--prefix", default="b")
    ap.add_argument("--templates", default=os.path.join(demo, "mail"))
    ap.add_argument("--data", default=os.path.join(demo, "data"))
    args = ap.parse_args()
    if args.count < 0 or not 0 <= args.attach_share <= 1:
        ap.error("--count must be >= 0 and --attach-share within 0..1")
    total = args.bytes or DEFAULT_BYTES_PER_MESSAGE * args.count
    templates = read_templates(args.templates)
    skus = read_skus(args.data)
    rng = random.Random(args.seed)
    plans = []
    for i in range(args.count):
        date = b"Mon, %02d Mar 2025 %02d:%02d:%02d +0100" % (
            1 + i // 86400 % 28, i // 3600 % 24, i // 60 % 60, i % 60)
        plans.append(build(rng, i, args.prefix, rng.choice(templates), skus, date))
    with_att = set(rng.sample(range(args.count), round(args.count * args.attach_share)))
    base = sum(len(render(*p)) for p in plans)
    # The attachments take what is left of the budget, split by log-uniform
    # weights (a few large ones, many small), base64 and MIME overhead included.
    weights = {i: math.exp(rng.uniform(0, math.log(40))) for i in sorted(with_att)}
    budget = max(total - base - 400 * len(with_att), 1024 * len(with_att))
    scale = budget / (sum(weights.values()) or 1) * 76 / 78 * 3 / 4
    os.makedirs(args.out, exist_ok=True)
    written = 0
    for i, (fields, content, body) in enumerate(plans):
        if i in with_att:
            boundary = b"=_bench_%d_%08x" % (i, rng.getrandbits(32))
            raw = render(fields, content, body,
                         attachment_part(rng, boundary, int(weights[i] * scale), i), boundary)
        else:
            raw = render(fields, content, body)
        name = os.path.join(args.out, "%s.%07d.M1P1.bench" % (args.prefix, i))
        with open(name, "wb") as f:
            f.write(raw)
        written += len(raw)
    print("messages=%d bytes=%d attachments=%d" % (args.count, written, len(with_att)))


if __name__ == "__main__":
    main()
