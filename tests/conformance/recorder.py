"""The recording proxy every conformance suite puts in front of its emulator: the official SDK
and segexport both talk to it, it forwards each request unchanged and records what was sent
(and what came back), so the suites can compare the two field by field."""
import http.client
import http.server
import threading
import urllib.parse

HOP_BY_HOP = {"content-length", "connection", "transfer-encoding", "date", "server"}


class Recorder(http.server.ThreadingHTTPServer):
    """Forwards every request to upstream and records it. rewrite: replace the emulator's own
    address in replies (e.g. Microsoft's UploadUrl, ResultFileUrl) so follow-up requests come
    here too. keep_host: forward the caller's Host header (the Dotdigital emulator tells the
    account's region by it), else http.client names the upstream. Each record: client (the caller's label at the time), method, path (and its alias
    target: the request target with its query), headers (as sent), lheaders (lower-case names),
    body, status, rtype (reply Content-Type) and rbody."""

    daemon_threads = True

    def __init__(self, upstream, rewrite=False, keep_host=False):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream
        self.rewrite = rewrite
        self.keep_host = keep_host
        self.base = "http://127.0.0.1:%d" % self.server_address[1]
        self.client = None
        self.records = []
        self.lock = threading.Lock()

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _forward(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        srv = self.server
        up = urllib.parse.urlparse(srv.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        drop = ("content-length", "connection") if srv.keep_host else \
            ("host", "content-length", "connection")
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in drop}
        conn.request(self.command, self.path, body=body or None, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        if srv.rewrite:
            data = data.replace(srv.upstream.encode(), srv.base.encode())
        sent = dict(self.headers.items())
        with srv.lock:
            srv.records.append({"client": srv.client, "method": self.command, "path": self.path,
                                "target": self.path, "headers": sent,
                                "lheaders": {k.lower(): v for k, v in sent.items()},
                                "body": body, "status": resp.status,
                                "rtype": resp.getheader("Content-Type") or "", "rbody": data})
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward
