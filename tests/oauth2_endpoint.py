"""A local HTTPS OAuth2 token endpoint for the client's tests
(check-oauth2.py): answers POSTs of grant_type=refresh_token as a provider
does (RFC 6749 §6, Google's and Microsoft's token endpoints), over TLS with
the tests' certificate (tests/data/tls/server.pem, signed by
tests/data/tls/ca.pem, for 127.0.0.1), and can misbehave on demand.

``mode``: "good" (a new access token "tok-N" with ``expires_in``), "badjson"
(HTTP 200 with an HTML page), "error400" (HTTP 400 with the provider's
"error" and "error_description", as Google for a revoked refresh token),
"http500" (a bare HTTP 500), "slow" (never answers until the test closes
it). Every request's form fields are kept in ``requests``."""

import http.server
import json
import os
import ssl
import threading
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TLS = os.path.join(os.environ.get("top_srcdir", os.path.join(HERE, "..")), "tests", "data", "tls")
CA = os.path.join(TLS, "ca.pem")


class TokenEndpoint:
    def __init__(self, mode="good", expires_in=3600):
        self.mode = mode
        self.expires_in = expires_in
        self.requests = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                fields = urllib.parse.parse_qs(body, keep_blank_values=True)
                with endpoint.lock:
                    endpoint.requests.append({k: v[0] for k, v in fields.items()})
                    n = len(endpoint.requests)
                mode = endpoint.mode
                if mode == "slow":
                    endpoint.released.wait()
                    return
                if mode == "good":
                    self.answer(200, json.dumps({"access_token": "tok-%d" % n, "token_type": "Bearer",
                                                 "expires_in": endpoint.expires_in}))
                elif mode == "badjson":
                    self.answer(200, "<html><body>Service temporarily unavailable</body></html>", "text/html")
                elif mode == "error400":
                    self.answer(400, json.dumps({"error": "invalid_grant",
                                                 "error_description": "Token has been expired or revoked."}))
                else:
                    self.answer(500, "", "text/plain")

            def answer(self, status, text, ctype="application/json"):
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(TLS, "server.pem"), os.path.join(TLS, "server-key.pem"))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = "https://127.0.0.1:%d/o/oauth2/token" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def count(self):
        with self.lock:
            return len(self.requests)

    def close(self):
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()
