#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A small IMAP client for the test-service scripts (Cyrus, provider Dovecot).

    imapctl.py --port P --user U (--password PW | --xoauth2 TOKEN | --oauthbearer TOKEN) CMD ...
    CMD: create FOLDER | append FOLDER FILE... | list | caps | select FOLDER
         | find FOLDER MESSAGE-ID (one "UID FLAGS" line per match) | uidvalidity FOLDER

Folder names are given in UTF-8 and sent in modified UTF-7 (RFC 3501 5.1.3);
`list` prints one line per folder: the attributes, a tab, the decoded name.
Exits 1 with the server's answer on any failure.
"""
import argparse
import base64
import imaplib
import re
import sys


def utf7_encode(name):
    out, run = [], []

    def flush():
        if run:
            b = base64.b64encode("".join(run).encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + b.replace("/", ",") + "-")
            run.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def utf7_decode(name):
    def dec(m):
        b = m.group(1)
        if b == "":
            return "&"
        b = b.replace(",", "/")
        b += "=" * (-len(b) % 4)
        return base64.b64decode(b).decode("utf-16-be")

    return re.sub(r"&([A-Za-z0-9+,]*)-", dec, name)


def quote(name):
    return '"' + utf7_encode(name).replace("\\", "\\\\").replace('"', '\\"') + '"'


def login(a):
    m = imaplib.IMAP4("127.0.0.1", a.port, timeout=30)
    if a.password is not None:
        m.login(a.user, a.password)
    elif a.xoauth2 is not None:
        s = "user=%s\x01auth=Bearer %s\x01\x01" % (a.user, a.xoauth2)
        m.authenticate("XOAUTH2", lambda _: s.encode())
    else:
        s = "n,a=%s,\x01host=127.0.0.1\x01port=%d\x01auth=Bearer %s\x01\x01" % (
            a.user.replace("=", "=3D").replace(",", "=2C"), a.port, a.oauthbearer)
        m.authenticate("OAUTHBEARER", lambda _: s.encode())
    return m


def parse_list(line):
    if isinstance(line, tuple):  # a literal name: (b'(attrs) "." {n}', b'name')
        head, name = line[0].decode(), line[1].decode()
        attrs = head[1:head.index(")")]
        return attrs, utf7_decode(name)
    s = line.decode()
    m = re.match(r'\((.*?)\) (?:"(?:[^"\\]|\\.)*"|NIL) (.*)$', s)
    if m is None:
        raise ValueError("unparsable LIST line %r" % s)
    name = m.group(2)
    if name.startswith('"'):
        name = re.sub(r'\\(.)', r"\1", name[1:-1])
    return m.group(1), utf7_decode(name)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--password")
    g.add_argument("--xoauth2")
    g.add_argument("--oauthbearer")
    p.add_argument("cmd")
    p.add_argument("args", nargs="*")
    a = p.parse_args()
    try:
        m = login(a)
        if a.cmd == "create":
            typ, data = m.create(quote(a.args[0]))
            if typ != "OK" and b"exist" not in b" ".join(data).lower():
                sys.exit("CREATE %s: %r" % (a.args[0], data))
            m.subscribe(quote(a.args[0]))
        elif a.cmd == "append":
            for f in a.args[1:]:
                with open(f, "rb") as fh:
                    data = fh.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                # no flags: the message stays unseen, as a delivery would leave it
                typ, resp = m.append(quote(a.args[0]), None, None, data)
                if typ != "OK":
                    sys.exit("APPEND %s: %r" % (f, resp))
        elif a.cmd == "list":
            typ, data = m.list('""', "*")
            if typ != "OK":
                sys.exit("LIST: %r" % data)
            for line in data:
                if line is None:
                    continue
                attrs, name = parse_list(line)
                print("%s\t%s" % (attrs, name))
        elif a.cmd == "caps":
            typ, data = m.capability()  # after login: servers add to the list then
            print(data[0].decode())
        elif a.cmd == "find":
            typ, data = m.select(quote(a.args[0]), readonly=True)
            if typ != "OK":
                sys.exit("SELECT %s: %r" % (a.args[0], data))
            typ, data = m.uid("SEARCH", "HEADER", "Message-ID", '"%s"' % a.args[1])
            for uid in (data[0] or b"").split():
                typ, f = m.uid("FETCH", uid, "(FLAGS)")
                flags = re.search(rb"FLAGS \(([^)]*)\)", f[0] or b"")
                print("%s %s" % (uid.decode(), flags.group(1).decode() if flags else ""))
        elif a.cmd == "uidvalidity":
            typ, data = m.status(quote(a.args[0]), "(UIDVALIDITY)")
            if typ != "OK":
                sys.exit("STATUS %s: %r" % (a.args[0], data))
            print(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1).decode())
        elif a.cmd == "select":
            typ, data = m.select(quote(a.args[0]))
            if typ != "OK":
                sys.exit("SELECT %s: %r" % (a.args[0], data))
            print(data[0].decode())
        else:
            sys.exit("unknown command %s" % a.cmd)
        m.logout()
    except (imaplib.IMAP4.error, OSError) as e:
        sys.exit("%s: %s" % (a.cmd, e))


if __name__ == "__main__":
    main()
