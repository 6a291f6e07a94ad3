#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What systemd's service manager does with $NOTIFY_SOCKET, for the tests: binds a
unix datagram socket at PATH and appends every datagram it receives to OUT, one
line each, as "MONOTONIC_USEC<TAB>field|field|..." (the fields of one datagram
joined by "|"). The receive time is CLOCK_MONOTONIC, the clock sd_notify's
MONOTONIC_USEC uses. Runs until SIGTERM."""
import os
import signal
import socket
import sys
import time


def main():
    path, out = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(out, "a", buffering=1) as f:
        while True:
            data = sock.recv(65536)
            now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
            fields = data.decode("utf-8", "replace").strip("\n").split("\n")
            f.write("%d\t%s\n" % (now, "|".join(fields)))


if __name__ == "__main__":
    main()
