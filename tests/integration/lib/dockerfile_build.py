#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Builds a Dockerfile without a container engine, for the tests of a machine
that has none: every stage starts from a fresh copy of a Debian 12 root (a
debootstrap tarball standing in for debian:bookworm and debian:bookworm-slim),
RUN runs in it with chroot (in private mount and PID namespaces, with /proc),
COPY copies from the build context (minus .dockerignore) or an earlier stage,
ARG, ENV, WORKDIR and USER are honoured. The final stage's root and its image
settings (user, entrypoint, cmd, env, workdir, healthcheck, exposed ports)
are written to OUT/root and OUT/image.json.

It checks what the instructions do, not Docker's own behaviour (layers,
caching, BuildKit syntax); the README says so.

  dockerfile_build.py DOCKERFILE CONTEXT BASE_TAR OUT [--build-arg K=V]...
"""
import argparse
import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys

BASES = ("debian:bookworm", "debian:bookworm-slim", "debian:12", "debian:12-slim")


def instructions(path):
    """(keyword, rest) per instruction, continuation lines joined."""
    out, cur = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not cur and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if cur and line.lstrip().startswith("#"):
                continue
            if line.endswith("\\"):
                cur += line[:-1] + " "
                continue
            cur += line
            word, _, rest = cur.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            cur = ""
    return out


def ignored(rel, patterns):
    for p in patterns:
        p = p.rstrip("/")
        if p.startswith("**/"):
            if any(fnmatch.fnmatch(part, p[3:]) for part in rel.split("/")):
                return True
        elif fnmatch.fnmatch(rel, p) or rel.startswith(p + "/"):
            return True
    return False


def context_files(context):
    patterns = []
    di = os.path.join(context, ".dockerignore")
    if os.path.exists(di):
        with open(di) as f:
            patterns = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    for top, dirs, files in os.walk(context):
        reltop = os.path.relpath(top, context)
        reltop = "" if reltop == "." else reltop + "/"
        dirs[:] = [d for d in dirs if not ignored(reltop + d, patterns)]
        for name in files:
            if not ignored(reltop + name, patterns):
                yield reltop + name


def expand(text, env):
    """$VAR, ${VAR} and ${VAR:+word} as Docker expands them in COPY/WORKDIR."""
    return subprocess.run(["sh", "-c", 'printf %s "' + text.replace('"', '\\"') + '"'],
                          env=env, capture_output=True, text=True, check=True).stdout


def copy_into(src, dst):
    if os.path.isdir(src) and not os.path.islink(src):
        os.makedirs(dst, exist_ok=True)
        for name in os.listdir(src):
            copy_into(os.path.join(src, name), os.path.join(dst, name))
    else:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)


def in_root(root, path):
    return os.path.join(root, path.lstrip("/"))


def run_in(root, cmd, env, workdir, user):
    os.makedirs(in_root(root, workdir), exist_ok=True)
    shutil.copy("/etc/resolv.conf", in_root(root, "/etc/resolv.conf"))
    argv = ["unshare", "--mount", "--fork", "--pid", "--mount-proc=" + in_root(root, "/proc"),
            "chroot"]
    if user not in ("", "root", "0"):
        argv.append("--userspec=%s:%s" % (user, user))
    argv += [root, "/usr/bin/env", "-i"] + ["%s=%s" % kv for kv in env.items()]
    argv += ["/bin/sh", "-c", "cd %s && %s" % (shlex.quote(workdir), cmd)]
    print("RUN " + cmd, flush=True)
    return subprocess.run(argv).returncode


def main():
    ap = argparse.ArgumentParser()
    for name in ("dockerfile", "context", "base_tar", "out"):
        ap.add_argument(name)
    ap.add_argument("--build-arg", action="append", default=[])
    opts = ap.parse_args()
    dockerfile, context, base_tar, out = opts.dockerfile, opts.context, opts.base_tar, opts.out
    build_args = dict(a.split("=", 1) for a in opts.build_arg)
    stages, names, image = [], {}, None
    base_env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": "/root", "DEBIAN_FRONTEND": "noninteractive"}
    files = None
    for word, rest in instructions(dockerfile):
        if word == "FROM":
            parts = rest.split()
            if parts[0] not in BASES:
                sys.exit("FROM %s: only Debian 12 base images can be stood in for" % parts[0])
            root = os.path.join(out, "stage%d" % len(stages))
            shutil.rmtree(root, ignore_errors=True)
            os.makedirs(root)
            subprocess.run(["tar", "-C", root, "-xf", base_tar], check=True)
            image = {"root": root, "env": dict(base_env), "args": {}, "workdir": "/",
                     "user": "root", "cmd": None, "entrypoint": None, "healthcheck": None,
                     "expose": [], "base": parts[0]}
            stages.append(image)
            if len(parts) == 3 and parts[1].upper() == "AS":
                names[parts[2]] = image
            print("FROM %s -> %s" % (parts[0], root), flush=True)
            continue
        if image is None:
            sys.exit("%s before FROM" % word)
        env = dict(image["env"], **image["args"])
        if word == "ARG":
            name, _, default = rest.partition("=")
            image["args"][name] = build_args.get(name, default)
        elif word == "ENV":
            k, _, v = rest.partition("=")
            image["env"][k] = v
        elif word == "WORKDIR":
            image["workdir"] = expand(rest, env)
            os.makedirs(in_root(image["root"], image["workdir"]), exist_ok=True)
        elif word == "USER":
            image["user"] = rest
        elif word == "RUN":
            if run_in(image["root"], rest, env, image["workdir"], image["user"]) != 0:
                sys.exit("RUN failed: " + rest)
        elif word == "COPY":
            args = shlex.split(rest)
            opts = [a for a in args if a.startswith("--")]
            paths = [a for a in args if not a.startswith("--")]
            src_root = None
            for o in opts:
                if o.startswith("--from="):
                    src_root = names[o[7:]]["root"]
                else:
                    sys.exit("COPY option %s is not stood in for" % o)
            dest = paths[-1]
            for src in paths[:-1]:
                if src_root is not None:
                    copy_into(in_root(src_root, src), in_root(image["root"], dest))
                    continue
                if files is None:
                    files = list(context_files(context))
                src = src.rstrip("/")
                chosen = [f for f in files if src == "." or f == src or f.startswith(src + "/")]
                if not chosen:
                    sys.exit("COPY %s: not in the build context" % src)
                for f in chosen:
                    if src == ".":
                        target = os.path.join(dest, f)
                    elif f == src:
                        target = dest if not dest.endswith("/") else dest + os.path.basename(f)
                    else:
                        target = os.path.join(dest, os.path.relpath(f, src))
                    copy_into(os.path.join(context, f), in_root(image["root"], target))
            print("COPY " + rest, flush=True)
        elif word in ("CMD", "ENTRYPOINT"):
            image[word.lower()] = json.loads(rest)
        elif word == "HEALTHCHECK":
            i = rest.index("CMD")
            image["healthcheck"] = {"options": rest[:i].split(), "cmd": json.loads(rest[i + 3:])}
        elif word == "EXPOSE":
            image["expose"] += rest.split()
        elif word in ("STOPSIGNAL", "LABEL"):
            image[word.lower()] = rest
        else:
            sys.exit("%s is not stood in for" % word)
    final = stages[-1]
    os.replace(final["root"], os.path.join(out, "root"))
    final["root"] = os.path.join(out, "root")
    with open(os.path.join(out, "image.json"), "w") as f:
        json.dump(final, f, indent=1)
    for s in stages[:-1]:
        shutil.rmtree(s["root"], ignore_errors=True)
    print("built: %s" % final["root"])


if __name__ == "__main__":
    main()
