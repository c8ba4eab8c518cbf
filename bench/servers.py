"""The servers of the benchmark: one nginx (HTTP/1.1 port and HTTPS + HTTP/2 port,
autoindex, a throttled location for S3) and latency proxies in front of it.

Everything listens on 127.0.0.1 only; nginx gets its own prefix, config, logs and
a certificate made by openssl (a throw-away CA that signs a cert for 127.0.0.1, so
clients verify it instead of turning verification off).
"""

import os
import socket
import subprocess
import time

# Bytes per second that nginx allows each connection under /s3/ (`limit_rate 5m`,
# nginx's m = 1024 * 1024).
THROTTLE_RATE = 5 * 1024 * 1024

# One line per request, tab-separated; `escape=json` keeps a tab in a URI from
# breaking the columns. `$connection` is numbered per worker, so a connection is
# identified by (pid, connection).
LOG_FIELDS = ("msec", "pid", "connection", "connection_requests", "server_port",
              "server_protocol", "request_method", "uri", "status", "bytes_sent",
              "body_bytes_sent", "http_range", "request_time")


def free_port():
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_certificate(folder):
    """Creates a CA and a server certificate for 127.0.0.1 signed by it; returns
    (ca.pem, server.pem, server.key)."""
    ca_key, ca_pem = os.path.join(folder, "ca.key"), os.path.join(folder, "ca.pem")
    key, csr, pem = (os.path.join(folder, n) for n in ("server.key", "server.csr", "server.pem"))
    if all(os.path.exists(p) for p in (ca_pem, key, pem)):
        return ca_pem, pem, key
    extensions = os.path.join(folder, "server.ext")
    with open(extensions, "w", encoding="ascii") as file:
        file.write("subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                   "basicConstraints = CA:FALSE\n"
                   "keyUsage = digitalSignature, keyEncipherment\n"
                   "extendedKeyUsage = serverAuth\n")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
             "stdin": subprocess.DEVNULL, "check": True}
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca_key, "-out",
                    ca_pem, "-days", "3650", "-subj", "/CN=fetchall bench CA"], **quiet)
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", "/CN=127.0.0.1"], **quiet)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", pem, "-days", "3650", "-extfile", extensions],
                   **quiet)
    return ca_pem, pem, key


NGINX_CONF = """\
{user}
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    types {{ text/plain txt; application/zip zip; application/octet-stream bin dat; }}
    default_type application/octet-stream;
    log_format bench escape=json '{log_format}';
    access_log {prefix}/access.log bench;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    # Everything else (keepalive_requests 1000, keepalive_timeout 75 s, HTTP/2
    # limits) stays at nginx's defaults, as a real server would have them.
    server {{
        listen 127.0.0.1:{http_port};
        {locations}
    }}
    server {{
        listen 127.0.0.1:{https_port} ssl http2;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        {locations}
    }}
}}
"""

LOCATIONS = """\
root {www};
        autoindex on;
        location /s3/ {{ limit_rate {rate}; }}
        # The same large files without the throttle, to measure the link itself.
        location /raw/ {{ alias {www}/s3/; }}"""


class Nginx:
    """A private nginx serving `www` on two loopback ports."""

    def __init__(self, prefix, www):
        self.prefix = prefix
        self.www = www
        self.http_port = free_port()
        self.https_port = free_port()
        self.process = None
        self.access_log = os.path.join(prefix, "access.log")
        os.makedirs(os.path.join(prefix, "tmp"), exist_ok=True)
        self.ca, cert, key = make_certificate(prefix)
        log_format = "\\t".join("$" + field for field in LOG_FIELDS)
        config = NGINX_CONF.format(
            user="user root;" if os.geteuid() == 0 else "",
            prefix=prefix, log_format=log_format, http_port=self.http_port,
            https_port=self.https_port, cert=cert, key=key,
            locations=LOCATIONS.format(www=www, rate="5m"))
        self.config = os.path.join(prefix, "nginx.conf")
        with open(self.config, "w", encoding="utf-8") as file:
            file.write(config)

    def start(self):
        subprocess.run(["nginx", "-t", "-q", "-p", self.prefix, "-c", self.config],
                       check=True, stdin=subprocess.DEVNULL)
        self.process = subprocess.Popen(
            ["nginx", "-p", self.prefix, "-c", self.config, "-g", "daemon off;"],
            stdin=subprocess.DEVNULL)
        wait_for_port(self.http_port)
        wait_for_port(self.https_port)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_offset(self):
        """Where the access log ends now; pass it to `requests_since`."""
        try:
            return os.path.getsize(self.access_log)
        except OSError:
            return 0

    def requests_since(self, offset):
        """Requests logged after `offset`, as dicts of LOG_FIELDS."""
        # nginx writes each line with one write(2) when the request ends; give the
        # last ones a moment after the client has exited.
        time.sleep(0.05)
        rows = []
        with open(self.access_log, "rb") as file:
            file.seek(offset)
            for line in file.read().decode("utf-8", "replace").splitlines():
                values = line.split("\t")
                if len(values) == len(LOG_FIELDS):
                    rows.append(dict(zip(LOG_FIELDS, values)))
        return rows


def wait_for_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")
            time.sleep(0.05)


class LatencyProxy:
    """bench/latency-proxy in front of `upstream_port`, adding `rtt_ms`."""

    def __init__(self, binary, upstream_port, rtt_ms, connect_delay_ms=None):
        command = [binary, "--listen", "127.0.0.1:0", "--upstream",
                   f"127.0.0.1:{upstream_port}", "--rtt-ms", str(rtt_ms)]
        if connect_delay_ms is not None:
            command += ["--connect-delay-ms", str(connect_delay_ms)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stdin=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"latency-proxy did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])
        self.rtt_ms = rtt_ms

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stop()
