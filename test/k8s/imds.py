"""The instance metadata service (IMDSv2) of one drill host, on 169.254.169.254:80 in its namespace.

`python3 imds.py DIR`: PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds) returns a
token; GET /latest/meta-data/KEY with that token in X-aws-ec2-metadata-token returns DIR/KEY, 404
when there is no such key, 401 without a valid token, as EC2 answers with IMDSv2 required. A KEY
ending in / lists its folder, one name a line, folders with a trailing / (how SDKs find the role of
iam/security-credentials/). GET /latest/dynamic/instance-identity/document returns
DIR-dynamic/instance-identity/document (the SDKs' region comes from it).
"""
import os
import secrets
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

root = sys.argv[1]
tokens = set()


class Imds(BaseHTTPRequestHandler):
    def answer(self, status, body=b'', headers=()):
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        ttl = self.headers.get('X-aws-ec2-metadata-token-ttl-seconds')
        if self.path != '/latest/api/token' or not ttl:
            return self.answer(400)
        token = secrets.token_urlsafe(32)
        tokens.add(token)
        # EC2 says the token's lifetime back; the AWS SDKs read it, and take a token without it as
        # no token at all (then IMDSv1, which IMDSv2-required answers with 401).
        self.answer(200, token.encode(), [('X-aws-ec2-metadata-token-ttl-seconds', ttl)])

    def do_GET(self):
        if self.headers.get('X-aws-ec2-metadata-token') not in tokens:
            return self.answer(401)
        for prefix, base in (('/latest/meta-data/', root), ('/latest/dynamic/', root + '-dynamic')):
            if self.path.startswith(prefix):
                break
        else:
            return self.answer(404)
        key = os.path.normpath(self.path[len(prefix):]) if self.path != prefix else '.'
        path = os.path.join(base, key)
        if key.startswith('..'):
            return self.answer(404)
        if self.path.endswith('/') and os.path.isdir(path):
            names = sorted(n + ('/' if os.path.isdir(os.path.join(path, n)) else '') for n in os.listdir(path))
            return self.answer(200, '\n'.join(names).encode())
        if not os.path.isfile(path):
            return self.answer(404)
        with open(path, 'rb') as f:
            self.answer(200, f.read().strip())

    def log_message(self, *args):
        pass


ThreadingHTTPServer(('169.254.169.254', 80), Imds).serve_forever()
