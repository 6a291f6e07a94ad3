# SPDX-License-Identifier: MIT
"""Processes the bench starts, and what it reads of them from /proc.

Every process started here is remembered and stopped by its PID when the
bench ends (stop_all), on every exit path; nothing is ever stopped by name.
"""
import os
import signal
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
_started = []


def start(cmd, log, env=None, cwd=None):
    """Starts cmd in the background, stdin from /dev/null and stdout and
    stderr to the file log (so no pipe of ours stays open); returns the Popen."""
    with open(log, "ab") as out:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                             env=env, cwd=cwd)
    _started.append(p)
    return p


def stop(p, timeout=15.0):
    """SIGTERM, then SIGKILL after timeout seconds; returns the exit status."""
    if p is None:
        return None
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in _started:
        _started.remove(p)
    return p.returncode


def stop_all():
    for p in list(_started):
        stop(p, 5.0)


def run_measured(cmd, log, env=None):
    """Runs cmd to its end; returns seconds (wall), cpu (user + system of the
    process and its waited-for children), maxrss_kb and rc."""
    with open(log, "ab") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env)
        _started.append(p)
        _, status, ru = os.wait4(p.pid, 0)
        secs = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    _started.remove(p)
    return {"seconds": secs, "cpu": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss,
            "rc": p.returncode}


def _stat(pid):
    """Fields of /proc/PID/stat after the command name (index 0 = state)."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid, children=False):
    """utime + stime of pid (plus cutime + cstime, its reaped children's, when
    children is true), in seconds; None when the process is gone."""
    try:
        st = _stat(pid)
    except OSError:
        return None
    ticks = int(st[11]) + int(st[12])
    if children:
        ticks += int(st[13]) + int(st[14])
    return ticks / CLK_TCK


def children_of(ppid):
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if int(_stat(int(name))[1]) == ppid:
                kids.append(int(name))
        except (OSError, IndexError, ValueError):
            continue
    return kids


def tree_cpu(ppid):
    """CPU seconds of a server and all its processes, the exited ones included:
    the parent's own and reaped children's time plus every live child's
    (PostgreSQL's postmaster reaps its backends, so a backend's time moves
    into the postmaster's cutime when it ends)."""
    total = cpu_seconds(ppid, children=True) or 0.0
    for kid in children_of(ppid):
        total += cpu_seconds(kid) or 0.0
    return total


def _settling(ppid, before):
    """Children of a postmaster, not in before, that are client backends
    ("postgres: USER DB 127.0.0.1(PORT) ...") or on their way out (a process
    that is exiting has lost its title, a zombie is not reaped yet);
    autovacuum workers come and go on their own and are left out."""
    out = set()
    for kid in children_of(ppid):
        if kid in before:
            continue
        try:
            with open("/proc/%d/cmdline" % kid, "rb") as f:
                title = f.read()
        except OSError:
            continue  # gone: reaped
        if b"autovacuum worker" not in title or _stat(kid)[0] == "Z":
            out.add(kid)
    return out


def pg_quiet(ppid, timeout=10.0):
    """Waits until no client backend is left and every exiting process is
    reaped (the bench's own psql sessions have ended); returns the children
    there are then, the `before` of pg_settled."""
    wait_until(lambda: not _settling(ppid, set(_long_lived(ppid))), timeout, 0.02)
    return set(children_of(ppid))


def _long_lived(ppid):
    """The server's own processes (checkpointer, walwriter, ...): not client
    backends, not exiting."""
    out = []
    for kid in children_of(ppid):
        try:
            with open("/proc/%d/cmdline" % kid, "rb") as f:
                title = f.read()
            if title and b"127.0.0.1(" not in title and _stat(kid)[0] != "Z":
                out.append(kid)
        except (OSError, IndexError):
            continue
    return out


def pg_settled(ppid, before, timeout=10.0):
    """Waits until every client backend that started after before was taken
    has ended and been reaped, so that its CPU time is in the postmaster's
    cutime: read while one is exiting, tree_cpu would count it nowhere."""
    return wait_until(lambda: not _settling(ppid, before), timeout, 0.02)


def status(pid):
    """VmHWM, VmRSS, RssAnon (heap, stacks), RssFile (shared libraries and
    code) in KiB and Threads of a live process, as a dict."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, val = line.partition(":")
                if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "Threads"):
                    out[key] = int(val.split()[0])
    except OSError:
        pass
    return out


def wait_until(pred, timeout, interval=0.1):
    """Polls pred until it is true (returns True) or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if pred():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
