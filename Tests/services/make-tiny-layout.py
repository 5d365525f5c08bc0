#!/usr/bin/env python3
"""Writes a one-layer OCI image layout, tagged v1, to the directory given as argument."""

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def write_blob(layout: str, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as file:
        file.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def main():
    layout = sys.argv[1]
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)

    content = b"hello from the ocibatch service check\n"
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime, info.mode = len(content), 0, 0o644
        tar.addfile(info, io.BytesIO(content))
    layer_tar = tar_bytes.getvalue()
    layer = write_blob(layout, gzip.compress(layer_tar, mtime=0))

    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"org.ocibatch.check": "tiny"}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]},
    }
    config_blob = write_blob(layout, json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **config_blob),
        "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip", **layer)],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    manifest_blob = write_blob(layout, manifest_bytes)
    with open(os.path.join(layout, "manifest.json"), "wb") as file:
        file.write(manifest_bytes)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            dict(
                mediaType=manifest["mediaType"],
                annotations={"org.opencontainers.image.ref.name": "v1"},
                **manifest_blob,
            )
        ],
    }
    with open(os.path.join(layout, "index.json"), "w") as file:
        json.dump(index, file)
    with open(os.path.join(layout, "oci-layout"), "w") as file:
        json.dump({"imageLayoutVersion": "1.0.0"}, file)


if __name__ == "__main__":
    main()
