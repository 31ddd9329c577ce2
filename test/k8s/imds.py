"""The instance metadata service (IMDSv2) of one drill host, on 169.254.169.254:80 in its namespace.

`python3 imds.py DIR`: PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds) returns a
token; GET /latest/meta-data/KEY with that token in X-aws-ec2-metadata-token returns DIR/KEY, 404
when there is no such key, 401 without a valid token, as EC2 answers with IMDSv2 required.
"""
import os
import secrets
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

root = sys.argv[1]
tokens = set()


class Imds(BaseHTTPRequestHandler):
    def answer(self, status, body=b''):
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        if self.path != '/latest/api/token' or not self.headers.get('X-aws-ec2-metadata-token-ttl-seconds'):
            return self.answer(400)
        token = secrets.token_urlsafe(32)
        tokens.add(token)
        self.answer(200, token.encode())

    def do_GET(self):
        if self.headers.get('X-aws-ec2-metadata-token') not in tokens:
            return self.answer(401)
        prefix = '/latest/meta-data/'
        key = os.path.normpath(self.path[len(prefix):]) if self.path.startswith(prefix) else ''
        path = os.path.join(root, key)
        if not key or key.startswith('..') or not os.path.isfile(path):
            return self.answer(404)
        with open(path, 'rb') as f:
            self.answer(200, f.read().strip())

    def log_message(self, *args):
        pass


ThreadingHTTPServer(('169.254.169.254', 80), Imds).serve_forever()
