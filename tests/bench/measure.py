#!/usr/bin/python3
"""Runs a command and reports its wall time and peak RSS for `make bench`.

    measure.py OUTFILE CMD...

The command's stdout/stderr pass through; OUTFILE gets one line
"seconds=S maxrss_kb=K rc=RC". Exits with the command's status.
"""
import os
import sys
import time


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    secs = time.monotonic() - start
    rc = os.waitstatus_to_exitcode(status)
    with open(out, "w") as f:
        f.write("seconds=%.3f maxrss_kb=%d rc=%d\n" % (secs, usage.ru_maxrss, rc))
    sys.exit(rc if rc >= 0 else 128 - rc)


if __name__ == "__main__":
    main()
