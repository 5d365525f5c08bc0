"""A deliberately slow, read-only fake registry on loopback that counts how many requests it is
handling at the same time. It answers only what a dry run of a delete job reads: `GET /v2/`, the
tag list of its one repository, and HEAD/GET of a small OCI image manifest per tag (and their
blobs) by tag or digest. Everything else is 404 and is recorded, so a figure never hides a request it refused."""

import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class SlowRegistry:
    """Serves `repository` with `tags` (each its own small manifest) on 127.0.0.1, holding every request
    `delay` seconds. `max_in_flight` is the most requests it was handling at once."""

    def __init__(self, repository, tags, delay):
        self.repository = repository
        self.tags = list(tags)
        self.delay = delay
        config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}},
                            separators=(",", ":")).encode()
        layer = b"ocibatch bench: an opaque layer nobody reads"
        self.blobs = {_digest(config): config, _digest(layer): layer}
        # One manifest per tag (an annotation names the tag): tags sharing a digest would make a delete
        # also weigh every other tag it takes along, which is not the case being measured.
        self.manifests = {}  # tag and digest → manifest bytes
        for tag in self.tags:
            manifest = json.dumps({
                "schemaVersion": 2,
                "mediaType": MANIFEST_TYPE,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _digest(config),
                           "size": len(config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": _digest(layer),
                            "size": len(layer)}],
                "annotations": {"org.example.bench.tag": tag},
            }, separators=(",", ":")).encode()
            self.manifests[tag] = self.manifests[_digest(manifest)] = manifest
        self._lock = threading.Lock()
        self._in_flight = 0
        self.max_in_flight = 0
        self.requests = {}  # "METHOD kind" → count
        self.refused = []  # "METHOD path" answered 404
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="slow-registry", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def begin(self, kind):
        """A request starts being handled."""
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self.requests[kind] = self.requests.get(kind, 0) + 1

    def end(self):
        with self._lock:
            self._in_flight -= 1

    def answer(self, method, path):
        """(kind, status, headers, body) for a request; `kind` names it for the tally."""
        path = path.split("?", 1)[0]
        prefix = f"/v2/{self.repository}/"
        if path in ("/v2/", "/v2"):
            return "base", 200, {"Content-Type": "application/json"}, b"{}"
        if path == prefix + "tags/list":
            body = json.dumps({"name": self.repository, "tags": self.tags}).encode()
            return "tags/list", 200, {"Content-Type": "application/json"}, body
        match = re.fullmatch(re.escape(prefix) + r"(manifests|blobs)/([^/]+)", path)
        if match and match[1] == "manifests" and match[2] in self.manifests:
            manifest = self.manifests[match[2]]
            headers = {"Content-Type": MANIFEST_TYPE, "Docker-Content-Digest": _digest(manifest)}
            return "manifests", 200, headers, manifest
        if match and match[1] == "blobs" and match[2] in self.blobs:
            headers = {"Content-Type": "application/octet-stream", "Docker-Content-Digest": match[2]}
            return "blobs", 200, headers, self.blobs[match[2]]
        with self._lock:
            self.refused.append(f"{method} {path}")
        body = json.dumps({"errors": [{"code": "NAME_UNKNOWN", "message": "not served by the slow registry"}]})
        return "refused", 404, {"Content-Type": "application/json"}, body.encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 would drop the connects of 16 workers arriving at once.
    request_queue_size = 128


def _handler_for(registry):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real registry

        def _serve(self, with_body):
            kind, status, headers, body = registry.answer(self.command, self.path)
            registry.begin(f"{self.command} {kind}")
            try:
                time.sleep(registry.delay)  # the slowness the workers must overlap
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)
            finally:
                registry.end()

        def do_GET(self):
            self._serve(with_body=True)

        def do_HEAD(self):
            self._serve(with_body=False)

        def log_message(self, format, *args):
            pass  # the tally is the log

    return Handler
