#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Provisions the glewlwyd test provider started by oidc.sh through its admin API.

  oidc_admin.py --base URL --admin-password-file F setup --first-admin-password P
      --issuer URL --key PEM --pub PEM --client-id ID --client-secret-file F --redirect URI
  oidc_admin.py ... adduser --user U --password P [--role R] --client-id ID
  oidc_admin.py ... add-redirect --client-id ID --redirect URI

Standard library only. Every failure exits 1 with the request and the answer.
"""
import argparse
import http.cookiejar
import json
import sys
import urllib.error
import urllib.request


class Api:
    def __init__(self, base):
        self.base = base.rstrip("/") + "/api"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method, path, body=None, ok=(200,)):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(req, timeout=20) as resp:
                status, text = resp.status, resp.read().decode(errors="replace")
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode(errors="replace")
        if status not in ok:
            sys.exit("%s %s: HTTP %d %s" % (method, path, status, text[:2000]))
        return json.loads(text) if text.strip().startswith(("{", "[")) else None

    def login(self, user, password):
        self.call("POST", "/auth/", {"username": user, "password": password})


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def admin(args):
    api = Api(args.base)
    api.login("admin", read(args.admin_password_file))
    return api


def plugin_parameters(args):
    # Names as in glewlwyd 2.7's OIDC plugin (its admin page's defaults); only
    # what the tests need is on: the code flow, PKCE with S256 only, required.
    return {
        "iss": args.issuer,
        "jwt-type": "rsa",
        "jwt-key-size": "256",
        "key": read(args.key) + "\n",
        "cert": read(args.pub) + "\n",
        "jwks-show": True,
        "access-token-duration": 600,
        "refresh-token-duration": 3600,
        "code-duration": 120,
        "refresh-token-rolling": False,
        "allow-non-oidc": False,
        "auth-type-code-enabled": True,
        "auth-type-code-revoke-replayed": True,
        "auth-type-token-enabled": False,
        "auth-type-id-token-enabled": False,
        "auth-type-none-enabled": False,
        "auth-type-password-enabled": False,
        "auth-type-client-enabled": False,
        "auth-type-device-enabled": False,
        "auth-type-refresh-enabled": True,
        "scope": [],
        "additional-parameters": [],
        "claims": [{
            "name": "role", "user-property": "role", "type": "string",
            "boolean-value-true": "", "boolean-value-false": "",
            "mandatory": True, "on-demand": False, "scope": [],
        }],
        "name-claim": "mandatory",
        "name-claim-scope": [],
        "email-claim": "mandatory",
        "email-claim-scope": [],
        "scope-claim": "no",
        "scope-claim-scope": [],
        "address-claim": {"type": "no", "formatted": "", "street_address": "", "locality": "",
                          "region": "", "postal_code": "", "country": "", "mandatory": False},
        "allowed-scope": ["openid"],
        "secret-type": "pairwise",
        "pkce-allowed": True,
        "pkce-method-plain-allowed": False,
        "pkce-required": True,
        "pkce-required-public-client": True,
        "pkce-scopes": [],
        "request-parameter-allow": False,
        "request-maximum-exp": 3600,
        "introspection-revocation-allowed": False,
        "register-client-allowed": False,
        "session-management-allowed": False,
        "encrypt-out-token-allow": False,
    }


def setup(args):
    api = Api(args.base)
    api.login("admin", args.first_admin_password)
    new = read(args.admin_password_file)
    api.call("PUT", "/profile/password",
             {"username": "admin", "old_password": args.first_admin_password, "password": new})
    api = admin(args)
    api.call("POST", "/mod/plugin/", {
        "module": "oidc", "name": "oidc", "display_name": "draftd test OIDC",
        "enabled": True, "parameters": plugin_parameters(args)})
    api.call("POST", "/client/", {
        "client_id": args.client_id, "name": "draftd", "description": "draftd reviewer page",
        "enabled": True, "confidential": True, "password": read(args.client_secret_file),
        "redirect_uri": [args.redirect], "authorization_type": ["code", "refresh_token"],
        "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"],
        "scope": []})


def adduser(args):
    api = admin(args)
    user = {"username": args.user, "name": args.user.capitalize(),
            "email": args.user + "@example.org", "enabled": True,
            "password": args.password, "scope": ["openid", "g_profile"]}
    if args.role:
        user["role"] = args.role
    api.call("POST", "/user/", user)
    # Consent given once, as an organisation's IdP does for its own apps, so a
    # sign-in goes straight back to draftd after the password.
    person = Api(args.base)
    person.login(args.user, args.password)
    person.call("PUT", "/auth/grant/%s" % args.client_id, {"scope": "openid"})


def add_redirect(args):
    api = admin(args)
    client = api.call("GET", "/client/%s" % args.client_id)
    uris = client.get("redirect_uri") or []
    if args.redirect not in uris:
        uris.append(args.redirect)
    # An update replaces the whole client: send back what we read, minus the
    # read-only fields, with the new list.
    body = {k: v for k, v in client.items() if k not in ("source", "last_seen")}
    body["redirect_uri"] = uris
    api.call("PUT", "/client/%s" % args.client_id, body)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--admin-password-file", required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--first-admin-password", required=True)
    for a in ("--issuer", "--key", "--pub", "--client-id", "--client-secret-file", "--redirect"):
        s.add_argument(a, required=True)
    u = sub.add_parser("adduser")
    for a in ("--user", "--password", "--client-id"):
        u.add_argument(a, required=True)
    u.add_argument("--role", default="")
    r = sub.add_parser("add-redirect")
    r.add_argument("--client-id", required=True)
    r.add_argument("--redirect", required=True)
    args = p.parse_args()
    {"setup": setup, "adduser": adduser, "add-redirect": add_redirect}[args.cmd](args)


if __name__ == "__main__":
    main()
