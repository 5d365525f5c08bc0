"""Generates the benchmark's images as OCI image layouts, deterministically and fast.

Layer content is random-looking but cheap to make: each 1 MiB chunk is a per-layer, per-chunk
SHA-256 followed by a slice of one random pool, so every layer is a distinct blob while no time
goes into a random generator. Layers are framed as gzip with stored (level 0) blocks: clients
that sniff compression (skopeo) see a compressed layer and pass it through unchanged instead of
compressing it on the way, and nobody pays for real compression.
"""

import hashlib
import json
import os
import random
import zlib
from dataclasses import dataclass, field

MiB = 1 << 20
KiB = 1 << 10

LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"

_POOL_SIZE = 16 * MiB
_CHUNK = MiB


@dataclass
class Descriptor:
    media_type: str
    digest: str
    size: int

    def json(self):
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass
class Image:
    """One generated image: where it goes (repository and tag) and its blobs."""

    repository: str
    tag: str
    manifest: Descriptor
    config: Descriptor
    layers: list


@dataclass
class Layout:
    """A generated OCI layout and the images in it, with every layer's size by digest."""

    path: str
    images: list = field(default_factory=list)
    layer_sizes: dict = field(default_factory=dict)

    def blob_path(self, digest):
        return os.path.join(self.path, "blobs", "sha256", digest.split(":", 1)[1])

    def unique_layer_bytes(self):
        return sum(self.layer_sizes.values())

    def repositories(self):
        seen = []
        for image in self.images:
            if image.repository not in seen:
                seen.append(image.repository)
        return seen


class LayoutWriter:
    """Writes blobs into one layout directory; `finish` writes index.json naming every image."""

    def __init__(self, path):
        self.layout = Layout(path=path)
        self._layers = {}
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as file:
            json.dump({"imageLayoutVersion": "1.0.0"}, file)
        self._pool = random.Random(0x0C1BA7C4).randbytes(_POOL_SIZE)

    def layer(self, key, size):
        """The layer named `key` (made once, then reused) with about `size` payload bytes."""
        if key in self._layers:
            return self._layers[key]
        temporary = os.path.join(self.layout.path, "blobs", ".layer.tmp")
        framed = hashlib.sha256()
        plain = hashlib.sha256()
        gzip = zlib.compressobj(0, zlib.DEFLATED, 31)
        length = 0
        with open(temporary, "wb") as file:
            for chunk in self._chunks(key, size):
                plain.update(chunk)
                piece = gzip.compress(chunk)
                framed.update(piece)
                file.write(piece)
                length += len(piece)
            tail = gzip.flush()
            framed.update(tail)
            file.write(tail)
            length += len(tail)
        digest = "sha256:" + framed.hexdigest()
        os.replace(temporary, self.layout.blob_path(digest))
        descriptor = Descriptor(LAYER_MEDIA_TYPE, digest, length)
        self._layers[key] = (descriptor, "sha256:" + plain.hexdigest())
        self.layout.layer_sizes[digest] = length
        return self._layers[key]

    def _chunks(self, key, size):
        produced = 0
        index = 0
        while produced < size:
            stamp = hashlib.sha256(f"{key}/{index}".encode()).digest()
            length = min(_CHUNK, size - produced)
            offset = (index * 7919 * 4096 + len(key) * 104729) % (_POOL_SIZE - _CHUNK)
            chunk = (stamp + self._pool[offset : offset + _CHUNK])[:length]
            yield chunk
            produced += length
            index += 1

    def image(self, repository, tag, layer_specs, labels=None, created="2024-01-01T00:00:00Z"):
        """Adds an image whose layers are `layer_specs` [(key, size)]; returns it."""
        layers = [self.layer(key, size) for key, size in layer_specs]
        config = {
            "created": created,
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": dict(labels or {})},
            "rootfs": {"type": "layers", "diff_ids": [diff_id for _, diff_id in layers]},
        }
        config_descriptor = self._json_blob(config, CONFIG_MEDIA_TYPE)
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": config_descriptor.json(),
            "layers": [descriptor.json() for descriptor, _ in layers],
        }
        manifest_descriptor = self._json_blob(manifest, MANIFEST_MEDIA_TYPE)
        image = Image(repository, tag, manifest_descriptor, config_descriptor, [d for d, _ in layers])
        self.layout.images.append(image)
        return image

    def _json_blob(self, value, media_type):
        data = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with open(self.layout.blob_path(digest), "wb") as file:
            file.write(data)
        return Descriptor(media_type, digest, len(data))

    def finish(self, ref_name=lambda image: f"{image.repository}:{image.tag}"):
        """Writes index.json; `ref_name` names each image inside the layout."""
        manifests = []
        for image in self.layout.images:
            entry = image.manifest.json()
            entry["annotations"] = {REF_NAME: ref_name(image)}
            manifests.append(entry)
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
        with open(os.path.join(self.layout.path, "index.json"), "w") as file:
            json.dump(index, file)
        return self.layout


def read_blob(layout, digest):
    with open(layout.blob_path(digest), "rb") as file:
        return file.read()


def load_image(path, ref_name, repository, tag):
    """Reads the image named `ref_name` back from a layout, to be pushed as repository:tag."""
    with open(os.path.join(path, "index.json")) as file:
        index = json.load(file)
    layout = Layout(path=path)
    for entry in index["manifests"]:
        if entry.get("annotations", {}).get(REF_NAME) != ref_name:
            continue
        manifest_descriptor = Descriptor(entry["mediaType"], entry["digest"], entry["size"])
        manifest = json.loads(read_blob(layout, entry["digest"]))
        config = Descriptor(**_descriptor_fields(manifest["config"]))
        layers = [Descriptor(**_descriptor_fields(layer)) for layer in manifest["layers"]]
        layout.images.append(Image(repository, tag, manifest_descriptor, config, layers))
        layout.layer_sizes.update({layer.digest: layer.size for layer in layers})
        return layout
    raise LookupError(f"{path}: no image named {ref_name} in index.json")


def _descriptor_fields(value):
    return {"media_type": value["mediaType"], "digest": value["digest"], "size": value["size"]}
