"""The LIMIT client: the fewest requests a client could make for each workload, 8 at a time.

Plain http.client over keep-alive connections (one per thread and registry); blob bodies are
streamed (a GET from one registry is the body of the PUT to the other), never held in memory. It
also seeds the registries before the timed runs. It trusts what the benchmark knows (a migration
target is empty, so it checks nothing there) — that is what makes it a lower bound.
"""

import hashlib
import http.client
import json
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from images import MANIFEST_MEDIA_TYPE

PARALLEL = 8
BLOCK = 1 << 20
MANIFEST_ACCEPT = ", ".join(
    [
        MANIFEST_MEDIA_TYPE,
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)


class RegistryError(Exception):
    pass


class Client:
    """Requests to one registry host; each thread keeps its own connection."""

    def __init__(self, host):
        self.host = host
        self._local = threading.local()

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, timeout=300, blocksize=BLOCK)
            self._local.connection = connection
        return connection

    def open(self, method, path, body=None, headers=None):
        """Sends a request and returns the response unread (the caller reads or closes it)."""
        headers = dict(headers or {})
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, path, body=body, headers=headers)
                return connection.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once, unless a
                # streamed body was already partly consumed.
                connection.close()
                self._local.connection = None
                if attempt == 2 or (body is not None and not isinstance(body, (bytes, str))):
                    raise

    def call(self, method, path, body=None, headers=None, expect=(200,)):
        """Sends a request, reads the whole answer and checks its status."""
        response = self.open(method, path, body, headers)
        data = response.read()
        if response.status not in expect:
            raise RegistryError(f"{method} {self.host}{path}: {response.status} {data[:300]!r}")
        return response, data

    def upload(self, repository, digest, size, body):
        """POST then PUT: a monolithic upload with `body` (bytes or a readable stream)."""
        response, _ = self.call("POST", f"/v2/{repository}/blobs/uploads/", expect=(202,))
        location = urllib.parse.urlsplit(response.getheader("Location"))
        query = f"{location.query}&digest={digest}" if location.query else f"digest={digest}"
        path = f"{location.path}?{query}"
        self.call(
            "PUT", path, body=body,
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"}, expect=(201,),
        )

    def mount(self, repository, digest, source_repository):
        self.call(
            "POST", f"/v2/{repository}/blobs/uploads/?mount={digest}&from={source_repository}", expect=(201,)
        )

    def put_manifest(self, repository, reference, data, media_type=MANIFEST_MEDIA_TYPE):
        self.call(
            "PUT", f"/v2/{repository}/manifests/{reference}", body=data,
            headers={"Content-Type": media_type}, expect=(201,),
        )

    def get_manifest(self, repository, reference):
        response, data = self.call("GET", f"/v2/{repository}/manifests/{reference}", headers={"Accept": MANIFEST_ACCEPT})
        return response.getheader("Content-Type"), data

    def head_manifest(self, repository, reference):
        response, _ = self.call("HEAD", f"/v2/{repository}/manifests/{reference}", headers={"Accept": MANIFEST_ACCEPT})
        return response.getheader("Docker-Content-Digest")

    def tags(self, repository):
        _, data = self.call("GET", f"/v2/{repository}/tags/list")
        return json.loads(data)["tags"] or []


def parallel(function, items):
    """Runs `function` over `items`, PARALLEL at a time; the first failure is raised."""
    items = list(items)
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(function, items))


def _first_holders(images):
    """For each blob, the first repository that needs it; and every (repository, blob) pairing."""
    first = {}
    pairs = []
    for image in images:
        for blob in [image.config] + image.layers:
            first.setdefault(blob.digest, (image.repository, blob))
            pairs.append((image.repository, blob))
    return first, pairs


def push_layout(client, layout, images=None):
    """Pushes images of a generated layout: each blob uploaded once, mounted into the other
    repositories that need it, then the manifests."""
    images = images if images is not None else layout.images
    first, pairs = _first_holders(images)

    def upload(item):
        repository, blob = item
        with open(layout.blob_path(blob.digest), "rb") as file:
            client.upload(repository, blob.digest, blob.size, file)

    parallel(upload, first.values())
    mounts = {(repository, blob.digest): (repository, blob) for repository, blob in pairs}
    mounts = [(r, b) for (r, d), (_, b) in mounts.items() if first[d][0] != r]
    parallel(lambda item: client.mount(item[0], item[1].digest, first[item[1].digest][0]), mounts)

    def manifest(image):
        with open(layout.blob_path(image.manifest.digest), "rb") as file:
            client.put_manifest(image.repository, image.tag, file.read())

    parallel(manifest, images)


def migrate(source, target, repositories):
    """Registry to registry, streaming: list tags, GET manifests, each blob streamed once from the
    source into an upload at the target, mounted where else it is needed, manifests last."""
    listed = parallel(lambda repository: [(repository, tag) for tag in source.tags(repository)], repositories)
    images = [item for sublist in listed for item in sublist]
    manifests = parallel(lambda item: source.get_manifest(*item), images)
    first = {}
    pairs = set()
    for (repository, _), (_, data) in zip(images, manifests):
        manifest = json.loads(data)
        for blob in [manifest["config"]] + manifest["layers"]:
            first.setdefault(blob["digest"], (repository, blob["size"]))
            pairs.add((repository, blob["digest"]))

    def stream(item):
        digest, (repository, size) = item
        response = source.open("GET", f"/v2/{repository}/blobs/{digest}")
        if response.status != 200:
            raise RegistryError(f"GET {source.host} blob {digest}: {response.status}")
        target.upload(repository, digest, size, response)
        response.read()

    parallel(stream, first.items())
    parallel(lambda item: target.mount(item[0], item[1], first[item[1]][0]),
             [(r, d) for r, d in sorted(pairs) if first[d][0] != r])
    parallel(lambda pair: target.put_manifest(pair[0][0], pair[0][1], pair[1][1], pair[1][0]),
             list(zip(images, manifests)))
    return len(images)


def verify_migrated(source, target, images):
    """The re-run limit: HEAD every manifest at source and target and compare digests."""
    def check(item):
        repository, tag = item
        return source.head_manifest(repository, tag) == target.head_manifest(repository, tag)

    results = parallel(check, images)
    return results.count(False)


def relabel(client, images, label_key, label_value):
    """In place: GET manifest, GET config, upload the edited config, PUT the new manifest."""

    def one(item):
        repository, tag = item
        media_type, data = client.get_manifest(repository, tag)
        manifest = json.loads(data)
        _, config_data = client.call("GET", f"/v2/{repository}/blobs/{manifest['config']['digest']}")
        config = json.loads(config_data)
        config.setdefault("config", {}).setdefault("Labels", {})[label_key] = label_value
        new_config = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
        digest = "sha256:" + hashlib.sha256(new_config).hexdigest()
        client.upload(repository, digest, len(new_config), new_config)
        manifest["config"] = dict(manifest["config"], digest=digest, size=len(new_config))
        client.put_manifest(repository, tag, json.dumps(manifest, separators=(",", ":")).encode(), media_type)

    parallel(one, images)


def delete_tags(client, repository, matches):
    """GET the tag list, then for each chosen tag HEAD (its digest) and DELETE by digest."""
    chosen = [tag for tag in client.tags(repository) if matches(tag)]

    def one(tag):
        digest = client.head_manifest(repository, tag)
        client.call("DELETE", f"/v2/{repository}/manifests/{digest}", expect=(202,))

    parallel(one, chosen)
    return len(chosen)
