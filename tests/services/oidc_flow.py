#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The OpenID Connect authorisation code flow with PKCE against the test provider,
by HTTP only, as a relying party (draftd) and a person's browser would do it.

  oidc_flow.py --issuer URL --client-id ID --client-secret-file F --redirect URI
               --user U --password P [--expect-role R] [--id-token-out F] [--jwks-out F]
               [--nonce-out F] [--refusals]

Discovery, JWKS, sign-in with the password, the authorisation request (S256
challenge, state, nonce), the code exchange at the token endpoint, then the ID
token: RS256 signature checked against the JWKS (RSASSA-PKCS1-v1_5 in plain
Python, so this check does not share code with draftd's), iss, aud, azp, exp,
iat, nonce and the role claim. --refusals also checks that the provider refuses
a wrong password, an authorisation request without PKCE, a wrong verifier and a
replayed code. Prints one summary line; any failure exits 1 naming the step.
"""
import argparse
import base64
import hashlib
import http.cookiejar
import json
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """A cookie jar that never follows redirects, so each Location is seen."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())

    def request(self, method, url, body=None, headers=None, form=None):
        data = None
        hdrs = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=20) as resp:
                return resp.status, dict(resp.headers), resp.read().decode(errors="replace")
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read().decode(errors="replace")


def fail(step, detail):
    sys.exit("%s: %s" % (step, detail))


def get_json(browser, url, step):
    status, _, text = browser.request("GET", url)
    if status != 200:
        fail(step, "HTTP %d from %s" % (status, url))
    try:
        return json.loads(text)
    except ValueError:
        fail(step, "not JSON: %r" % text[:200])


def rsa_pkcs1_sha256_verify(n, e, signed, sig):
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 8.2.2): recompute the whole
    encoded message and compare, never parse the padding."""
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    s = int.from_bytes(sig, "big")
    if s >= n:
        return False
    em = pow(s, e, n).to_bytes(k, "big")
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420")
    t = digest_info + hashlib.sha256(signed).digest()
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return secrets.compare_digest(em, expected)


def verify_id_token(token, jwks, issuer, client_id, nonce, expect_role):
    parts = token.split(".")
    if len(parts) != 3:
        fail("id_token", "not a JWS compact serialisation")
    header = json.loads(b64url_decode(parts[0]))
    claims = json.loads(b64url_decode(parts[1]))
    if header.get("alg") != "RS256":
        fail("id_token", "alg %r, expected RS256" % header.get("alg"))
    keys = [k for k in jwks.get("keys", []) if k.get("kty") == "RSA"
            and (header.get("kid") is None or k.get("kid") == header.get("kid"))]
    if not keys:
        fail("id_token", "kid %r not in the JWKS" % header.get("kid"))
    key = keys[0]
    n = int.from_bytes(b64url_decode(key["n"]), "big")
    e = int.from_bytes(b64url_decode(key["e"]), "big")
    if not rsa_pkcs1_sha256_verify(n, e, (parts[0] + "." + parts[1]).encode(),
                                   b64url_decode(parts[2])):
        fail("id_token", "RS256 signature does not verify against the JWKS")
    now = time.time()
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    checks = [
        (claims.get("iss") == issuer, "iss %r != %r" % (claims.get("iss"), issuer)),
        (client_id in auds, "aud %r lacks %r" % (aud, client_id)),
        (len(auds) == 1 or claims.get("azp") == client_id, "azp %r" % claims.get("azp")),
        (isinstance(claims.get("exp"), int) and claims["exp"] > now, "expired: %r" % claims.get("exp")),
        (isinstance(claims.get("iat"), int) and claims["iat"] <= now + 60, "iat %r" % claims.get("iat")),
        (claims.get("nonce") == nonce, "nonce %r != %r" % (claims.get("nonce"), nonce)),
        (isinstance(claims.get("sub"), str) and claims["sub"] != "", "no sub"),
    ]
    if expect_role is not None:
        checks.append((claims.get("role") == expect_role,
                       "role %r != %r" % (claims.get("role"), expect_role)))
    for ok, why in checks:
        if not ok:
            fail("id_token claims", why)
    return header, claims


def authorize(browser, conf, args, challenge, state, nonce):
    query = {"response_type": "code", "client_id": args.client_id, "redirect_uri": args.redirect,
             "scope": "openid", "state": state, "nonce": nonce}
    if challenge is not None:
        query.update({"code_challenge": challenge, "code_challenge_method": "S256"})
    url = conf["authorization_endpoint"] + "?" + urllib.parse.urlencode(query)
    status, headers, _ = browser.request("GET", url)
    location = headers.get("Location", "")
    # glewlwyd first sends the browser to its login page with the request as
    # callback_url; the page signs the person in and goes back to it with
    # g_continue. Do what the page does.
    split = urllib.parse.urlsplit(location)
    if status == 302 and split.path.endswith("/login.html"):
        callback = urllib.parse.parse_qs(split.query).get("callback_url", [""])[0]
        page, _, text = browser.request("GET", location)
        if page != 200 or "<html" not in text.lower():
            fail("authorize", "the login page answered HTTP %d" % page)
        if not callback.startswith(conf["authorization_endpoint"] + "?"):
            fail("authorize", "login page callback_url %r" % callback[:300])
        status, headers, _ = browser.request("GET", callback + "&g_continue")
        location = headers.get("Location", "")
    return status, location


def code_from(location, redirect, state, step):
    if not location.startswith(redirect + "?"):
        fail(step, "not sent back to the redirect URI: %r" % location[:300])
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if params.get("state") != [state]:
        fail(step, "state %r != %r" % (params.get("state"), state))
    if "code" not in params:
        fail(step, "no code: %r" % location[:300])
    return params["code"][0]


def exchange(browser, conf, args, secret, code, verifier):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": args.redirect}
    if verifier is not None:
        form["code_verifier"] = verifier
    basic = base64.b64encode(("%s:%s" % (urllib.parse.quote(args.client_id, safe=""),
                                         urllib.parse.quote(secret, safe=""))).encode()).decode()
    return browser.request("POST", conf["token_endpoint"], form=form,
                           headers={"Authorization": "Basic " + basic})


def sign_in(browser, base, user, password):
    status, _, _ = browser.request("POST", base + "/api/auth/",
                                   body={"username": user, "password": password})
    return status


def refusals(conf, args, secret, base):
    b = Browser()
    if sign_in(b, base, args.user, args.password + "x") == 200:
        fail("refusals", "a wrong password was accepted")
    if sign_in(b, base, args.user, args.password) != 200:
        fail("refusals", "sign-in failed")
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    _, location = authorize(b, conf, args, None, state, nonce)
    if "code=" in location or "error=" not in location:
        fail("refusals", "an authorisation request without PKCE was not refused: %r" % location[:300])
    verifier = secrets.token_urlsafe(48)
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    _, location = authorize(b, conf, args, challenge, state, nonce)
    code = code_from(location, args.redirect, state, "refusals")
    status, _, text = exchange(b, conf, args, secret, code, secrets.token_urlsafe(48))
    if status == 200:
        fail("refusals", "a wrong code_verifier was accepted")
    _, location = authorize(b, conf, args, challenge, state, nonce)
    code = code_from(location, args.redirect, state, "refusals")
    status, _, text = exchange(b, conf, args, secret, code, verifier)
    if status != 200:
        fail("refusals", "the right verifier was refused: HTTP %d %s" % (status, text[:200]))
    status, _, text = exchange(b, conf, args, secret, code, verifier)
    if status == 200:
        fail("refusals", "a replayed code was accepted")
    status, _, text = exchange(b, conf, args, secret + "x", code, verifier)
    if status == 200:
        fail("refusals", "a wrong client secret was accepted")


def main():
    p = argparse.ArgumentParser()
    for a in ("--issuer", "--client-id", "--client-secret-file", "--redirect", "--user", "--password"):
        p.add_argument(a, required=True)
    p.add_argument("--expect-role")
    p.add_argument("--id-token-out")
    p.add_argument("--jwks-out")
    p.add_argument("--nonce-out")
    p.add_argument("--refusals", action="store_true")
    args = p.parse_args()
    with open(args.client_secret_file, encoding="utf-8") as f:
        secret = f.read().strip()

    browser = Browser()
    conf = get_json(browser, args.issuer + "/.well-known/openid-configuration", "discovery")
    if conf.get("issuer") != args.issuer:
        fail("discovery", "issuer %r != %r" % (conf.get("issuer"), args.issuer))
    if "S256" not in conf.get("code_challenge_methods_supported", []):
        fail("discovery", "no S256 in code_challenge_methods_supported")
    if "RS256" not in conf.get("id_token_signing_alg_values_supported", []):
        fail("discovery", "no RS256 in id_token_signing_alg_values_supported")
    jwks = get_json(browser, conf["jwks_uri"], "jwks")
    split = urllib.parse.urlsplit(conf["authorization_endpoint"])
    base = "%s://%s" % (split.scheme, split.netloc)

    if args.refusals:
        refusals(conf, args, secret, base)
        print("refusals: wrong password, missing PKCE, wrong verifier, replayed code, wrong secret")
        return

    if sign_in(browser, base, args.user, args.password) != 200:
        fail("sign-in", "the provider refused %s's password" % args.user)
    verifier = secrets.token_urlsafe(48)
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    status, location = authorize(browser, conf, args, challenge, state, nonce)
    if status != 302:
        fail("authorize", "HTTP %d, expected a redirect" % status)
    code = code_from(location, args.redirect, state, "authorize")
    status, _, text = exchange(browser, conf, args, secret, code, verifier)
    if status != 200:
        fail("token", "HTTP %d %s" % (status, text[:300]))
    tokens = json.loads(text)
    if "id_token" not in tokens:
        fail("token", "no id_token in %r" % sorted(tokens))
    header, claims = verify_id_token(tokens["id_token"], jwks, args.issuer, args.client_id,
                                     nonce, args.expect_role)
    for path, value in ((args.id_token_out, tokens["id_token"]),
                        (args.jwks_out, json.dumps(jwks)), (args.nonce_out, nonce)):
        if path:
            with open(path, "w", encoding="utf-8") as f:
                f.write(value)
    print("id_token: alg=%s kid=%s sub=%s role=%s email=%s" % (
        header.get("alg"), header.get("kid"), claims.get("sub"), claims.get("role"),
        claims.get("email")))


if __name__ == "__main__":
    main()
