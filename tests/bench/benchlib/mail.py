# SPDX-License-Identifier: MIT
"""Generated mail sets, cached between runs under BUILD/bench-cache.

A set is genmail.py's output for (count, seed, prefix); its cache key also
hashes genmail.py and the demo templates and data, so a change to any of
them makes a new set rather than reusing a stale one.
"""
import glob
import hashlib
import os
import shutil

from . import svc as svcmod


def _key(src, count, seed, prefix):
    h = hashlib.sha256()
    for path in [os.path.join(src, "tests/bench/genmail.py")] + sorted(
            glob.glob(os.path.join(src, "deploy/demo/mail/*.eml"))) + [
            os.path.join(src, "deploy/demo/data/inventory.csv")]:
        with open(path, "rb") as f:
            h.update(path.encode() + b"\0" + f.read())
    return "%s-%d-%d-%s" % (prefix, count, seed, h.hexdigest()[:12])


def mail_set(ctx, count, seed=14, prefix="b"):
    """The sorted file paths of the set, generated on first use."""
    cache = os.path.join(ctx.build, "bench-cache")
    path = os.path.join(cache, _key(ctx.src, count, seed, prefix))
    done = os.path.join(path, ".done")
    if not os.path.exists(done):
        shutil.rmtree(path, ignore_errors=True)
        for old in glob.glob(os.path.join(cache, "%s-%d-%d-*" % (prefix, count, seed))):
            shutil.rmtree(old, ignore_errors=True)
        ctx.say("generating %d messages (seed %d) into %s" % (count, seed, path))
        out = svcmod.sh([svcmod.PY3, os.path.join(ctx.src, "tests/bench/genmail.py"),
                         "--out", path, "--count", str(count), "--seed", str(seed),
                         "--prefix", prefix])
        with open(done, "w") as f:
            f.write(out)
    with open(done) as f:
        ctx.mail_info[prefix] = f.read().strip()
    return sorted(glob.glob(os.path.join(path, "%s.*.bench" % prefix)))


def set_bytes(files):
    return sum(os.path.getsize(p) for p in files)
