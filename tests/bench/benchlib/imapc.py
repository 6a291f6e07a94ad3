# SPDX-License-Identifier: MIT
"""A bare IMAP IDLE client (the floor of the IDLE figure) and APPEND.

The watcher logs in, selects INBOX and stays in IDLE, noting the wall-clock
time (time.time(), the clock PostgreSQL's clock_timestamp() reads too) of
every "* N EXISTS" it is told; it does nothing else, so the time from an
APPEND to its EXISTS is what the server itself takes to tell a client.
"""
import imaplib
import re
import socket
import threading
import time

EXISTS = re.compile(rb"^\* (\d+) EXISTS")


class IdleWatcher(threading.Thread):
    def __init__(self, port, user, password):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.sock.makefile("rb")
        self.cond = threading.Condition()
        self.seen = []  # (count, time)
        self.exists = 0
        self._cmd(b"a LOGIN %s %s" % (user.encode(), password.encode()), b"a ")
        for line in self._cmd(b"b SELECT INBOX", b"b "):
            m = EXISTS.match(line)
            if m:
                self.exists = int(m.group(1))
        self.sock.sendall(b"c IDLE\r\n")
        line = self.f.readline()
        if not line.startswith(b"+"):
            raise OSError("IDLE refused: %r" % line)
        self.sock.settimeout(None)

    def _cmd(self, cmd, tag):
        self.sock.sendall(cmd + b"\r\n")
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise OSError("connection closed during %r" % cmd[:12])
            lines.append(line)
            if line.startswith(tag):
                if not line[len(tag):].startswith(b"OK"):
                    raise OSError("%r: %r" % (cmd[:12], line))
                return lines

    def run(self):
        while True:
            try:
                line = self.f.readline()
            except (OSError, ValueError):
                return
            if not line:
                return
            m = EXISTS.match(line)
            if m:
                with self.cond:
                    self.exists = int(m.group(1))
                    self.seen.append((self.exists, time.time()))
                    self.cond.notify_all()

    def wait_for(self, count, timeout):
        """The time EXISTS first reached count, or None after timeout s."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for n, t in self.seen:
                    if n >= count:
                        return t
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def close(self):
        try:
            self.sock.sendall(b"DONE\r\nz LOGOUT\r\n")
        except OSError:
            pass
        self.sock.close()


class Appender:
    def __init__(self, port, user, password):
        self.imap = imaplib.IMAP4("127.0.0.1", port)
        self.imap.login(user, password)

    def append(self, raw):
        """APPENDs raw to INBOX; the time the server said OK."""
        typ, _ = self.imap.append("INBOX", None, None, raw)
        if typ != "OK":
            raise OSError("APPEND failed")
        return time.time()

    def close(self):
        try:
            self.imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
