"""The benchmark's own docker-registry instances on loopback, with storage that can be reset.

Each registry writes its access log (one line per request, on stdout) to a file, so a workload's
requests can be counted and the layer bytes it moved summed by digest.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[0-9.]+" (?P<status>\d{3}) (?P<bytes>\d+|-)')


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Registry:
    """One docker-registry process with deletes enabled, its storage, config and access log."""

    def __init__(self, name, directory, port):
        self.name = name
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.storage = os.path.join(directory, f"{name}-storage")
        self.config = os.path.join(directory, f"{name}-config.yml")
        self.access_log = os.path.join(directory, f"{name}-access.log")
        self.error_log = os.path.join(directory, f"{name}-error.log")
        self.process = None
        with open(self.config, "w") as file:
            file.write(
                f"""version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: {self.storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {self.host}
  secret: ocibatch-bench-only-secret
"""
            )

    def start(self):
        os.makedirs(self.storage, exist_ok=True)
        out = open(self.access_log, "ab")
        err = open(self.error_log, "ab")
        self.process = subprocess.Popen(
            ["docker-registry", "serve", self.config], stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        out.close()
        err.close()
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2).read()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"registry {self.name} exited while starting (log: {self.error_log})")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"registry {self.name} did not answer within 20 s (log: {self.error_log})")
                time.sleep(0.05)

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def reset(self, snapshot=None):
        """Stops, replaces storage with an empty one (or a copy of `snapshot`), starts again."""
        self.stop()
        shutil.rmtree(self.storage, ignore_errors=True)
        if snapshot:
            subprocess.run(["cp", "-a", snapshot, self.storage], check=True)
        self.start()

    def restart(self):
        self.stop()
        self.start()

    def snapshot(self, path):
        """Copies the current storage to `path` (the registry is stopped meanwhile)."""
        self.stop()
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run(["cp", "-a", self.storage, path], check=True)
        self.start()

    def log_mark(self):
        try:
            return os.path.getsize(self.access_log)
        except FileNotFoundError:
            return 0

    def requests_since(self, mark):
        """The (method, path, status, bytes) of every request logged since `mark`."""
        with open(self.access_log, "rb") as file:
            file.seek(mark)
            text = file.read().decode(errors="replace")
        found = []
        for line in text.splitlines():
            match = ACCESS_LINE.search(line)
            if match:
                size = match["bytes"]
                found.append((match["method"], match["path"], int(match["status"]), 0 if size == "-" else int(size)))
        return found


def layer_bytes_moved(requests, layer_sizes):
    """Layer bytes that crossed the wire in `requests`: layer blob GETs answered 200 and uploads
    completed with a layer's digest (mounts and HEADs move nothing)."""
    moved = 0
    for method, path, status, size in requests:
        if method == "GET" and "/blobs/sha256:" in path and status == 200:
            digest = path.rsplit("/blobs/", 1)[1].split("?", 1)[0]
            if digest in layer_sizes:
                moved += size
        elif method == "PUT" and "/blobs/uploads/" in path:
            digest = re.search(r"digest=(sha256(?::|%3A)[0-9a-f]{64})", path)
            if digest:
                moved += layer_sizes.get(digest[1].replace("%3A", ":"), 0)
    return moved


def wipe_skopeo_cache():
    for path in ("/var/lib/containers/cache/blob-info-cache-v1.boltdb",):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
    home_cache = os.path.expanduser("~/.local/share/containers/cache/blob-info-cache-v1.boltdb")
    if os.path.exists(home_cache):
        os.remove(home_cache)
