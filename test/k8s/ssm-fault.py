"""An SSM endpoint that answers every call with one error, as AWS does when it throttles or fails.

`python3 ssm-fault.py HOST PORT CODE`: CODE ThrottlingException (HTTP 400) or InternalServerError
(HTTP 500), in the JSON protocol's error shape, so the real AWS CLI and the boot script's awsq see
exactly what they would see from AWS (botocore retries both, then reports the code).
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

host, port, code = sys.argv[1], int(sys.argv[2]), sys.argv[3]
status = 400 if code == 'ThrottlingException' else 500


class Fault(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        body = json.dumps({'__type': code, 'message': 'injected by the drill'}).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/x-amz-json-1.1')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        sys.stderr.write('ssm-fault: %s %s\n' % (self.headers.get('X-Amz-Target', '?'), code))


ThreadingHTTPServer((host, port), Fault).serve_forever()
