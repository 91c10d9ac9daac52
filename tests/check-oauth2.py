#!/usr/bin/env python3
"""OAuth2 as offlineimap does it (issue 11 items 2 and 3), end to end
through the mailsync command: a local HTTPS token endpoint started here
(oauth2_endpoint.py, the tests' CA passed as $SSL_CERT_FILE) and the
scripted IMAP server (scripted_imap.py) that checks the exact AUTHENTICATE
payloads. Dovecot is not used: the harness has no oauth2 passdb, and
the point is what the client sends.

- a refresh token: one POST (client_id, client_secret, refresh_token,
  grant_type=refresh_token), then AUTHENTICATE XOAUTH2 with
  base64("user=U^Aauth=Bearer TOKEN^A^A"), or OAUTHBEARER's GS2 form when
  the server offers only that; the account syncs;
- the token cached until half of expires_in, across autorefresh syncs;
- the server refuses the token (expired): one refresh, one more login,
  success; refused again: exit 1 after exactly two logins;
- the endpoint's bad JSON, HTTP 400 (the provider's error and
  error_description on one line), HTTP 500, silence (socktimeout: exit 1,
  no hang), a certificate not trusted: exit 1, no IMAP login at all;
- an access token with a server lacking XOAUTH2 and OAUTHBEARER:
  offlineimap's fallback to the password mechanisms (PLAIN with
  remotepass), or without a password a one-line error and no login;
- authproxy carries the token request through a SOCKS5 proxy
  (socks5_proxy.py) and only it; without authproxy the account's proxy
  carries both; an empty authproxy sends the token request directly;
- the secret and the refresh token appear in no output, even with -d.
"""

import base64
import os
import signal
import subprocess
import sys
import tempfile
import time

import mailsync_tap
import oauth2_endpoint
import scripted_imap
import socks5_proxy

TAP = mailsync_tap.Tap()
check = TAP.check

SECRET = "SECRET-CANARY-7f3a"
REFRESH = "REFRESH-CANARY-91be"
USER = "alice@example.org"
BASE_CAPS = "IMAP4rev1 UIDPLUS NAMESPACE SASL-IR"


def imap_server(auth):
    server = scripted_imap.ScriptedImapServer()
    server.CAPABILITIES = BASE_CAPS + "".join(" AUTH=" + m for m in auth)
    server.greeting = "* OK [CAPABILITY %s] scripted server ready\r\n" % server.CAPABILITIES
    server.mailboxes["INBOX"].add(scripted_imap.message("one"))
    return server


def write_config(work, server, endpoint=None, remote="", general=""):
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "offlineimaprc")
    oauth = ""
    if endpoint is not None:
        oauth = ("oauth2_refresh_token = %s\noauth2_client_id = client-1.apps\n"
                 "oauth2_client_secret = %s\noauth2_request_url = %s\n" % (REFRESH, SECRET, endpoint.url))
    with open(path, "w") as f:
        f.write("[general]\naccounts = T\nmetadata = %s/meta\nsocktimeout = 3\n%s\n"
                "[Account T]\nlocalrepository = L\nremoterepository = R\n%s\n"
                "[Repository L]\ntype = Maildir\nlocalfolders = %s/Mail\n\n"
                "[Repository R]\ntype = IMAP\nremotehost = 127.0.0.1\nremoteport = %d\nremoteuser = %s\n"
                "ssl = no\nstarttls = no\n%s%s"
                % (work, general, "" if "autorefresh" in remote else "", work, server.port, USER, oauth,
                   remote))
    return path


def run_mailsync(work, path, args=("-o", "-u", "basic"), ca=oauth2_endpoint.CA, timeout=90):
    env = dict(os.environ)
    env["HOME"] = work
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.pop("SSL_CERT_FILE", None)
    if ca is not None:
        env["SSL_CERT_FILE"] = ca
    start = time.monotonic()
    p = subprocess.run([mailsync_tap.MAILSYNC, "-c", path] + list(args), env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    p.took = time.monotonic() - start
    p.out = p.stdout + p.stderr
    return p


def authenticates(server):
    """(mechanism, decoded initial response) of every AUTHENTICATE."""
    out = []
    for line in server.commands(r"^AUTHENTICATE "):
        parts = line.split(" ")
        payload = base64.b64decode(parts[2]).decode(errors="replace") if len(parts) > 2 else None
        out.append((parts[1].upper(), payload))
    return out


def refuse_tokens(refused):
    """A hook answering NO to AUTHENTICATE with one of @refused tokens."""
    def hook(server, session, tag, verb, line):
        if verb == "AUTHENTICATE":
            parts = line.split(" ")
            payload = base64.b64decode(parts[2]).decode(errors="replace") if len(parts) > 2 else ""
            if any("Bearer %s\x01" % t in payload for t in refused):
                return scripted_imap.Reply("%s NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n" % tag)
        return None
    return hook


def no_secrets(p):
    return SECRET not in p.out and REFRESH not in p.out


def synced(work):
    d = os.path.join(work, "Mail", "INBOX")
    return sum(len(os.listdir(os.path.join(d, s))) for s in ("cur", "new") if os.path.isdir(os.path.join(d, s)))


def main():
    root = tempfile.mkdtemp(prefix="mailsync-oauth2.")

    # -- a refresh token, XOAUTH2 ------------------------------------------
    endpoint = oauth2_endpoint.TokenEndpoint()
    server = imap_server(["XOAUTH2", "OAUTHBEARER", "PLAIN"])
    work = os.path.join(root, "good")
    p = run_mailsync(work, write_config(work, server, endpoint), args=("-o", "-u", "basic", "-d", "imap"))
    check("refresh token: exit 0", p.returncode == 0, p.out)
    req = endpoint.requests[0] if endpoint.requests else {}
    check("refresh token: one POST with client_id, client_secret, refresh_token, grant_type",
          endpoint.count() == 1 and req == {"client_id": "client-1.apps", "client_secret": SECRET,
                                            "refresh_token": REFRESH, "grant_type": "refresh_token"},
          endpoint.requests)
    auths = authenticates(server)
    check("refresh token: AUTHENTICATE XOAUTH2 user=U^Aauth=Bearer tok-1^A^A, once",
          auths == [("XOAUTH2", "user=%s\x01auth=Bearer tok-1\x01\x01" % USER)], auths)
    check("refresh token: the message is synced", synced(work) == 1, p.out)
    check("refresh token: neither the secret nor the refresh token in the output (-d imap)",
          no_secrets(p) and "tok-1" not in p.out, p.out)
    server.close()

    # -- OAUTHBEARER only ---------------------------------------------------
    server = imap_server(["OAUTHBEARER"])
    work = os.path.join(root, "bearer")
    p = run_mailsync(work, write_config(work, server, endpoint))
    auths = authenticates(server)
    check("OAUTHBEARER: exit 0", p.returncode == 0, p.out)
    check("OAUTHBEARER: RFC 7628 GS2 header, host, port and Bearer token",
          auths == [("OAUTHBEARER", "n,a=%s,\x01host=127.0.0.1\x01port=%d\x01auth=Bearer tok-2\x01\x01"
                     % (USER, server.port))], auths)
    server.close()

    # -- expired token: one refresh, one more login ---------------------------
    endpoint.requests.clear()
    server = imap_server(["XOAUTH2"])
    server.hook = refuse_tokens(["tok-1"])
    work = os.path.join(root, "expired")
    p = run_mailsync(work, write_config(work, server, endpoint))
    auths = authenticates(server)
    check("expired token: exit 0 after one refresh", p.returncode == 0, p.out)
    check("expired token: two token requests, two logins (tok-1 refused, tok-2 accepted)",
          endpoint.count() == 2 and [a[1] for a in auths] == ["user=%s\x01auth=Bearer tok-%d\x01\x01" % (USER, i)
                                                               for i in (1, 2)],
          (endpoint.count(), auths))
    check("expired token: synced", synced(work) == 1, p.out)
    server.close()

    endpoint.requests.clear()
    server = imap_server(["XOAUTH2"])
    server.hook = refuse_tokens(["tok-1", "tok-2", "tok-3"])
    work = os.path.join(root, "refused")
    p = run_mailsync(work, write_config(work, server, endpoint))
    auths = authenticates(server)
    check("token refused again: exit 1", p.returncode == 1, p.out)
    check("token refused again: exactly one retry (two logins, two token requests)",
          len(auths) == 2 and endpoint.count() == 2, (endpoint.count(), auths))
    check("token refused again: the server's words", "Invalid credentials" in p.out, p.out)
    server.close()

    # -- a configured access token refused: the refresh token takes over -----
    endpoint.requests.clear()
    server = imap_server(["XOAUTH2"])
    server.hook = refuse_tokens(["static-token"])
    work = os.path.join(root, "static")
    p = run_mailsync(work, write_config(work, server, endpoint, remote="oauth2_access_token = static-token\n"))
    auths = authenticates(server)
    check("access token refused, refresh token set: exit 0", p.returncode == 0, p.out)
    check("access token refused, refresh token set: static token first, then one fetched",
          [a[1].split("Bearer ")[1] for a in auths] == ["static-token\x01\x01", "tok-1\x01\x01"]
          and endpoint.count() == 1, (endpoint.count(), auths))
    server.close()

    # -- authproxy (and proxy, its default) for the token request -------------
    proxy = socks5_proxy.Socks5Proxy()
    via = "SOCKS5:127.0.0.1:%d" % proxy.port
    to_endpoint, to_imap = ("127.0.0.1", endpoint.port), None
    for label, options, want_endpoint, want_imap in (
            ("authproxy", "authproxy = %s\n" % via, True, False),
            ("proxy without authproxy", "proxy = %s\n" % via, True, True),
            ("proxy with an empty authproxy", "proxy = %s\nauthproxy =\n" % via, False, True)):
        endpoint.requests.clear()
        del proxy.requests[:]
        server = imap_server(["XOAUTH2"])
        to_imap = ("127.0.0.1", server.port)
        work = os.path.join(root, "proxy-" + label.replace(" ", "-"))
        path = write_config(work, server, endpoint)
        with open(path) as f:
            text = f.read().replace("[Account T]\n", "[Account T]\n" + options)
        with open(path, "w") as f:
            f.write(text)
        p = run_mailsync(work, path)
        want = sorted(([to_endpoint] if want_endpoint else []) + ([to_imap] if want_imap else []))
        check("%s: exit 0, one token request, synced" % label,
              p.returncode == 0 and endpoint.count() == 1 and synced(work) == 1, p.out)
        check("%s: the proxy carried %s" % (label, " and ".join(
            n for n, w in (("the token request", want_endpoint), ("the IMAP connection", want_imap)) if w)),
              sorted(proxy.requests) == want, (proxy.requests, want))
        server.close()
    proxy.stop()
    endpoint.close()

    # -- the endpoint misbehaves ---------------------------------------------
    cases = [
        ("badjson", "did not answer with a JSON object"),
        ("error400", "refused the refresh token (HTTP 400): invalid_grant: Token has been expired or revoked."),
        ("http500", "answered HTTP 500"),
        ("slow", "did not answer within 3 seconds"),
    ]
    for mode, words in cases:
        endpoint = oauth2_endpoint.TokenEndpoint(mode)
        server = imap_server(["XOAUTH2"])
        work = os.path.join(root, mode)
        p = run_mailsync(work, write_config(work, server, endpoint))
        errors = [l for l in p.out.splitlines() if words in l]
        check("%s: exit 1" % mode, p.returncode == 1, p.out)
        check("%s: one line saying what the endpoint did" % mode, len(errors) >= 1 and "127.0.0.1" in errors[0],
              p.out)
        check("%s: no IMAP login" % mode, server.commands("^(AUTHENTICATE|LOGIN)") == [], server.commands())
        check("%s: no secret in the output" % mode, no_secrets(p), p.out)
        if mode == "slow":
            # socktimeout is 3 s; the subprocess deadline (90 s) tells a hang
            check("slow: gave up (no hang)", p.took < 60, p.took)
        endpoint.close()
        server.close()

    # -- a certificate the system does not trust -------------------------------
    endpoint = oauth2_endpoint.TokenEndpoint()
    server = imap_server(["XOAUTH2"])
    work = os.path.join(root, "untrusted")
    p = run_mailsync(work, write_config(work, server, endpoint), ca=os.path.join(oauth2_endpoint.TLS, "selfsigned.pem"))
    check("untrusted endpoint: exit 1, no token request answered, no login",
          p.returncode == 1 and endpoint.count() == 0 and server.commands("^AUTHENTICATE") == [], p.out)
    check("untrusted endpoint: the error names the endpoint", "127.0.0.1" in p.out and "OAuth2" in p.out, p.out)
    server.close()

    # -- cached until half of expires_in, across autorefresh syncs -----------
    for expires_in, per_sync in ((3600, False), (2, True)):
        endpoint.requests.clear()
        endpoint.expires_in = expires_in
        server = imap_server(["XOAUTH2"])
        work = os.path.join(root, "cache-%d" % expires_in)
        path = write_config(work, server, endpoint)
        with open(path) as f:
            text = f.read().replace("[Account T]\n", "[Account T]\nautorefresh = 0.04\n")
        with open(path, "w") as f:
            f.write(text)
        env = dict(os.environ, HOME=work, SSL_CERT_FILE=oauth2_endpoint.CA)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        proc = subprocess.Popen([mailsync_tap.MAILSYNC, "-c", path, "-u", "basic"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while len(authenticates(server)) < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        try:
            out = proc.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            out = proc.communicate()[0]
        logins = len(authenticates(server))
        tokens = sorted(set(a[1] for a in authenticates(server)))
        if per_sync:
            # half of 2 s is over before the next sync (2 s later)
            check("expires_in 2: a new token for each of the %d syncs" % logins,
                  logins >= 3 and endpoint.count() == logins and len(tokens) == logins,
                  (endpoint.count(), logins, out))
        else:
            check("expires_in 3600: one token for all %d syncs" % logins,
                  logins >= 3 and endpoint.count() == 1 and len(tokens) == 1, (endpoint.count(), logins, out))
        server.close()
    endpoint.close()

    # -- item 3: an access token and a server without XOAUTH2 ------------------
    server = imap_server(["PLAIN"])
    work = os.path.join(root, "fallback")
    p = run_mailsync(work, write_config(work, server, remote="oauth2_access_token = tok-x\nremotepass = pw-1\n"))
    auths = authenticates(server)
    check("no XOAUTH2 on the server, access token and remotepass: PLAIN with the password (offlineimap)",
          p.returncode == 0 and auths == [("PLAIN", "\x00%s\x00pw-1" % USER)], (auths, p.out))
    check("no XOAUTH2 on the server: synced", synced(work) == 1, p.out)
    server.close()

    server = imap_server(["PLAIN"])
    work = os.path.join(root, "fallback-nopass")
    p = run_mailsync(work, write_config(work, server, remote="oauth2_access_token = tok-x\n"))
    check("no XOAUTH2 on the server, no password: exit 1 and no login sent",
          p.returncode == 1 and server.commands("^(AUTHENTICATE|LOGIN)") == [], (server.commands(), p.out))
    check("no XOAUTH2 on the server, no password: the error says so and names remotepass",
          "offers neither XOAUTH2 nor OAUTHBEARER" in p.out and "remotepass" in p.out, p.out)
    server.close()

    # -- a password and a Gmail-like server: XOAUTH2 offered but no token ------
    server = imap_server(["XOAUTH2", "PLAIN"])
    work = os.path.join(root, "password")
    p = run_mailsync(work, write_config(work, server, remote="remotepass = pw-2\n"))
    auths = authenticates(server)
    check("password only, server offers XOAUTH2: PLAIN, no bearer attempt (offlineimap: XOAUTH2 needs a token)",
          p.returncode == 0 and auths == [("PLAIN", "\x00%s\x00pw-2" % USER)], (auths, p.out))
    server.close()

    return TAP.finish()


if __name__ == "__main__":
    sys.exit(main())
