"""The AWS CLI, warm, for the emulator tests' own reads of the state they check.

`python3 aws_cli_server.py SOCKET`: one process imports the AWS CLI and loads the models of the
services the tests read, then listens on the unix socket SOCKET. For each connection (one JSON
line: the CLI's arguments) it forks a child that runs the CLI's own driver on them, in the
environment the server was started with, and answers one JSON line: exit code, stdout, stderr.
The arguments, their parsing and the output are the CLI's, the same as `aws ARGS`; only the half
second of start-up per command is gone, which the tests spent hundreds of times per run.

The boot scripts' calls never come here: they run the `aws` command, as on an instance.
"""
import json
import os
import socket
import sys

from awscli import clidriver

SERVICES = ["autoscaling", "cloudwatch", "ec2", "elbv2", "events", "iam", "kms", "logs", "route53", "s3", "sns", "sqs", "ssm", "sts"]

driver = clidriver.create_clidriver()
loader = driver.session.get_component("data_loader")
for service in SERVICES:
    loader.load_service_model(service, "service-2")

path = sys.argv[1]
server = socket.socket(socket.AF_UNIX)
server.bind(path)
server.listen(64)
# Each command's output, beside the socket: the emulator removes that folder when it stops.
scratch = os.path.dirname(os.path.abspath(path))


def run(conn):
    request = b""
    while not request.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            return
        request += chunk
    args = json.loads(request)
    out, err = (os.path.join(scratch, f"{os.getpid()}.{n}") for n in ("out", "err"))
    with open(out, "w") as o, open(err, "w") as e:
        os.dup2(o.fileno(), 1)
        os.dup2(e.fileno(), 2)
    try:
        code = driver.main(args)
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    sys.stdout.flush()
    sys.stderr.flush()
    with open(out) as o, open(err) as e:
        answer = {"code": code, "stdout": o.read(), "stderr": e.read()}
    os.remove(out)
    os.remove(err)
    conn.sendall(json.dumps(answer).encode() + b"\n")


while True:
    conn, _ = server.accept()
    pid = os.fork()
    if pid == 0:
        server.close()
        try:
            run(conn)
        finally:
            os._exit(0)
    conn.close()
    # Reap every finished child without waiting for the running ones.
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
