"""The seven workloads of issue 7, and the in-flight count of issue 4 (row 8). Each of the seven builds its images, seeds the source registry once,
snapshots it, and then times every client from the same starting state: registry storage reset
(stopped, replaced, started) and skopeo's blob-info cache removed before each timed run."""

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field

import minimal_client as limit
from images import KiB, LayoutWriter, MiB
from registries import layer_bytes_moved, wipe_skopeo_cache
from slow_registry import SlowRegistry
from tools import UNSUPPORTED, ToolFailed, minimal_client_argv

LABEL_KEY = "org.example.bench.owner"
LABEL_VALUE = "team-bench"


@dataclass
class Sizes:
    migration_repositories: int
    migration_tags: int
    migration_base: int
    migration_layers: list
    relabel_repositories: int
    relabel_tags: int
    relabel_base: int
    relabel_layer: int
    cleanup_deleted: int
    cleanup_kept: int
    single_layers: int
    single_layer: int
    memory_layer: int
    queue_steps: int
    inflight_tags: int = 48


FULL = Sizes(
    migration_repositories=20, migration_tags=3, migration_base=16 * MiB,
    migration_layers=[2 * MiB, 3 * MiB, 6 * MiB + 400 * KiB],
    relabel_repositories=10, relabel_tags=20, relabel_base=4 * MiB, relabel_layer=1 * MiB,
    cleanup_deleted=1000, cleanup_kept=10,
    single_layers=4, single_layer=64 * MiB,
    memory_layer=1024 * MiB,
    queue_steps=10_000,
)

SMALL = Sizes(
    migration_repositories=3, migration_tags=2, migration_base=1 * MiB,
    migration_layers=[64 * KiB, 128 * KiB, 256 * KiB],
    relabel_repositories=2, relabel_tags=5, relabel_base=256 * KiB, relabel_layer=64 * KiB,
    cleanup_deleted=40, cleanup_kept=2,
    single_layers=4, single_layer=2 * MiB,
    memory_layer=64 * MiB,
    queue_steps=1_000,
)


@dataclass
class Row:
    """One line of the table. A cell is a number (seconds, or MiB when `unit` says so) or the
    reason there is no number ("not run: …", "failed: …")."""

    workload: str
    ocibatch: object = "not run"
    skopeo: object = "not run"
    limit: object = "not run"
    notes: list = field(default_factory=list)
    unit: str = "s"
    ratios: bool = True


class Bench:
    """What every workload needs: sizes, registries A and B, the clients, a work directory."""

    def __init__(self, sizes, work, registry_a, registry_b, ocibatch, skopeo, commands, progress, repeat=1):
        self.sizes = sizes
        self.repeat = repeat
        self.work = work
        self.a = registry_a
        self.b = registry_b
        self.ocibatch = ocibatch
        self.skopeo = skopeo
        self.commands = commands
        self.progress = progress
        self.client_a = limit.Client(registry_a.host)
        self.client_b = limit.Client(registry_b.host)

    def path(self, name):
        return os.path.join(self.work, name)

    def fresh(self, a_snapshot=None, keep=False):
        """Every timed run starts here: both registries reset (A from `a_snapshot`), or only
        restarted when `keep` (a re-run needs what the previous run left), and no skopeo cache."""
        if keep:
            self.a.restart()
            self.b.restart()
        else:
            self.a.reset(a_snapshot)
            self.b.reset()
        # Connections to the old processes are gone.
        self.client_a = limit.Client(self.a.host)
        self.client_b = limit.Client(self.b.host)
        wipe_skopeo_cache()

    def measure(self, label, action, check=None):
        """Times `action`; returns seconds, or "failed: …" when it or the `check` after it fails."""
        self.progress(f"{label} …")
        started = time.monotonic()
        try:
            action()
            elapsed = time.monotonic() - started
            problem = check() if check else None
        except (ToolFailed, limit.RegistryError, OSError) as error:
            self.progress(f"{label}: failed: {error}")
            return f"failed: {_short(error)}"
        if problem:
            self.progress(f"{label}: wrong result: {problem}")
            return f"failed: {problem}"
        self.progress(f"{label}: {elapsed:.2f} s")
        return elapsed

    def rounds(self, trials):
        """Runs each of `trials` {name: trial} `repeat` times, interleaved (a, b, c, a, b, c…) so
        that load from elsewhere on the machine falls on all of them alike. A trial returns a tuple
        of results; the answer is {name: tuple of medians}, a failure winning over numbers."""
        outcomes = {name: [] for name in trials}
        for number in range(self.repeat):
            if self.repeat > 1:
                self.progress(f"round {number + 1} of {self.repeat}")
            for name, trial in trials.items():
                outcomes[name].append(trial())
        return {name: tuple(_median(values) for values in zip(*results)) for name, results in outcomes.items()}

    def choose_ocibatch(self, plan, stopgap_how, stopgap):
        """`ocibatch run PLAN` when this build accepts the plan, else the labelled stopgap."""
        if self.ocibatch.has_run:
            if self.ocibatch.accepts(plan):
                return None, lambda: self.ocibatch.run_plan(plan)
            return f"STOPGAP (`ocibatch run` refused the plan: job kind {UNSUPPORTED}): {stopgap_how}", stopgap
        return f"STOPGAP (no `ocibatch run` in this build): {stopgap_how}", stopgap

    def seed(self, layout, snapshot_name):
        """Pushes `layout` into an empty A with the LIMIT client and snapshots A's storage."""
        self.fresh()
        limit.push_layout(self.client_a, layout)
        snapshot = self.path(snapshot_name)
        self.a.snapshot(snapshot)
        return snapshot

    def write_plan(self, name, jobs, workers=8, insecure=None):
        plan = {
            "version": 1,
            "name": name,
            "defaults": {"workers": workers, "insecureRegistries": insecure or [self.a.host, self.b.host]},
            "jobs": jobs,
        }
        path = self.path(f"{name}.json")
        with open(path, "w") as file:
            json.dump(plan, file, indent=2)
        return path


def _median(values):
    """The median of numbers; the first failure text if any value failed; else the last text."""
    failures = [value for value in values if isinstance(value, str) and value.startswith(("failed", "not run"))]
    if failures:
        return failures[0]
    numbers = sorted(value for value in values if isinstance(value, float))
    if len(numbers) != len(values):
        return values[-1]
    middle = len(numbers) // 2
    return numbers[middle] if len(numbers) % 2 else (numbers[middle - 1] + numbers[middle]) / 2


def _short(error, limit_chars=160):
    text = " ".join(str(error).split())
    return text if len(text) <= limit_chars else text[: limit_chars - 1] + "…"


def _mib(count):
    return f"{count / MiB:.1f} MiB" if count else "0 B"


# 1 and 2 ----------------------------------------------------------------------------------------


def migration(bench):
    sizes = bench.sizes
    writer = LayoutWriter(bench.path("migration-layout"))
    for repository in range(sizes.migration_repositories):
        for tag in range(sizes.migration_tags):
            layers = [("migration-base", sizes.migration_base)]
            layers += [(f"migration-{repository}-{tag}-{n}", size) for n, size in enumerate(sizes.migration_layers)]
            writer.image(f"bench/repo{repository:02d}", f"v{tag + 1}", layers, labels={"tag": f"v{tag + 1}"})
    layout = writer.finish()
    bench.progress(f"migration: {len(layout.images)} images, {_mib(layout.unique_layer_bytes())} of unique layers")
    snapshot = bench.seed(layout, "migration-a-snapshot")
    images = [(image.repository, image.tag) for image in layout.images]
    repositories = layout.repositories()
    a, b = bench.a.host, bench.b.host

    def migrated():
        missing = limit.verify_migrated(limit.Client(a), limit.Client(b), images)
        return f"{missing} of {len(images)} images missing or different at B" if missing else None

    def twice(label, action, rerun_action=None, rerun_check=migrated):
        """A trial: the migration from a fresh start, then the same again (or `rerun_action`)."""
        def trial():
            bench.fresh(snapshot)
            first = bench.measure(f"migration, {label}", action, migrated)
            if isinstance(first, str):
                return first, "not run: the migration failed"
            bench.fresh(keep=True)
            return first, bench.measure(f"re-run, {label}", rerun_action or action, rerun_check)

        return trial

    migrate_row = Row("1. migration A→B: " + _images_text(sizes.migration_repositories, sizes.migration_tags)
                      + f", {_mib(layout.unique_layer_bytes())} unique")
    rerun_row = Row("2. re-run of the finished migration (nothing to copy)")

    jobs = [{"id": f"repo{n:02d}", "copy": {"from": f"{a}/{repository}", "to": f"{b}/{repository}"}}
            for n, repository in enumerate(repositories)]
    insecure = bench.ocibatch.insecure(a, b)
    stopgap, ocibatch_action = bench.choose_ocibatch(
        bench.write_plan("bench-migration", jobs), "a sequential loop of `ocibatch copy` per image",
        lambda: [bench.ocibatch.copy(f"docker://{a}/{r}:{t}", f"docker://{b}/{r}:{t}", *insecure) for r, t in images])

    def sync():
        for repository in repositories:
            prefix = repository.rsplit("/", 1)[0]
            bench.skopeo.sync(f"{a}/{repository}", f"{b}/{prefix}")

    def copy_loop():
        for repository, tag in images:
            bench.skopeo.copy(f"docker://{a}/{repository}:{tag}", f"docker://{b}/{repository}:{tag}")

    def limit_migrate():
        limit.migrate(bench.client_a, bench.client_b, repositories)

    def limit_rerun():
        _expect_zero(limit.verify_migrated(bench.client_a, bench.client_b, images), "differing images")

    results = bench.rounds({
        "ocibatch": twice("ocibatch", ocibatch_action),
        "skopeo sync": twice("skopeo sync", sync),
        "skopeo copy loop": twice("skopeo copy loop", copy_loop),
        # The re-run limit is itself the comparison of every manifest: nothing to check after it.
        "limit": twice("limit", limit_migrate, limit_rerun, rerun_check=None),
    })
    migrate_row.ocibatch, rerun_row.ocibatch = results["ocibatch"]
    migrate_row.skopeo, rerun_row.skopeo = results["skopeo sync"]
    migrate_row.limit, rerun_row.limit = results["limit"]
    loop, loop_rerun = results["skopeo copy loop"]
    migrate_row.notes.append(f"ocibatch: {stopgap}" if stopgap else
                             "ocibatch: `ocibatch run` of one copy job per repository, 8 workers, fresh database each time")
    rerun_row.notes.append("ocibatch: as in row 1")
    migrate_row.notes.append(f"skopeo: `sync` per repository; `copy` loop {_cell(loop)}")
    rerun_row.notes.append(f"skopeo: `sync` per repository; `copy` loop {_cell(loop_rerun)}")
    migrate_row.notes.append("limit: blobs streamed GET A → PUT B once each, then mounts and manifests, 8 at a time")
    rerun_row.notes.append("limit: HEAD every manifest at A and B, 8 at a time")
    return [migrate_row, rerun_row]


def _expect_zero(count, what):
    if count:
        raise limit.RegistryError(f"{count} {what}")


def _images_text(repositories, tags):
    return f"{repositories} repos × {tags} tags"


def _cell(value):
    return f"{value:.2f} s" if isinstance(value, float) else str(value)


# 3 ----------------------------------------------------------------------------------------------


def relabel(bench):
    sizes = bench.sizes
    writer = LayoutWriter(bench.path("relabel-layout"))
    for repository in range(sizes.relabel_repositories):
        for tag in range(sizes.relabel_tags):
            layers = [("relabel-base", sizes.relabel_base), (f"relabel-{repository}-{tag}", sizes.relabel_layer)]
            writer.image(f"relabel/repo{repository}", f"t{tag:02d}", layers, labels={"build": f"{repository}-{tag}"})
    layout = writer.finish()
    images = [(image.repository, image.tag) for image in layout.images]
    count = len(images)
    snapshot = bench.seed(layout, "relabel-a-snapshot")
    a = bench.a.host
    row = Row(f"3. relabel in place: {count} images over {sizes.relabel_repositories} repos")

    def labelled():
        client = limit.Client(a)
        wrong = 0
        for repository, tag in images:
            _, data = client.get_manifest(repository, tag)
            digest = json.loads(data)["config"]["digest"]
            _, config = client.call("GET", f"/v2/{repository}/blobs/{digest}")
            if json.loads(config).get("config", {}).get("Labels", {}).get(LABEL_KEY) != LABEL_VALUE:
                wrong += 1
        return f"{wrong} of {count} images lack the label" if wrong else None

    work_layout = bench.path("relabel-skopeo-layout")

    def counted(label, action):
        """A trial: (seconds, what its requests were), counted from A's access log."""
        def trial():
            # The skopeo way's layout starts empty too.
            shutil.rmtree(work_layout, ignore_errors=True)
            bench.fresh(snapshot)
            return requests_of(label, action)

        return trial

    def requests_of(label, action):
        mark = bench.a.log_mark()
        seconds = bench.measure(f"relabel, {label}", action)
        requests = bench.a.requests_since(mark)
        problem = None if isinstance(seconds, str) else labelled()
        if problem:
            return f"failed: {problem}", ""
        methods = {}
        for method, *_ in requests:
            methods[method] = methods.get(method, 0) + 1
        breakdown = ", ".join(f"{method} {n / count:.1f}" for method, n in sorted(methods.items()))
        return seconds, (f"{label}: {len(requests) / count:.1f} requests/image ({breakdown}), "
                         f"{_mib(layer_bytes_moved(requests, layout.layer_sizes))} of layers moved")

    plan = bench.write_plan("bench-relabel", [{
        "id": "relabel",
        "relabel": {"repositories": [f"{a}/{r}" for r in layout.repositories()], "labels": {LABEL_KEY: LABEL_VALUE}},
    }])
    insecure = bench.ocibatch.insecure(a)
    stopgap, ocibatch_action = bench.choose_ocibatch(
        plan, "a sequential loop of in-place `ocibatch copy --label`",
        lambda: [bench.ocibatch.copy(f"docker://{a}/{r}:{t}", f"docker://{a}/{r}:{t}", "--label",
                                     f"{LABEL_KEY}={LABEL_VALUE}", *insecure) for r, t in images])

    def skopeo_way():
        for repository, tag in images:
            name = f"{repository.rsplit('/', 1)[1]}-{tag}"
            bench.skopeo.copy(f"docker://{a}/{repository}:{tag}", f"oci:{work_layout}:{name}")
            _edit_layout_label(work_layout, name)
            bench.skopeo.copy(f"oci:{work_layout}:{name}", f"docker://{a}/{repository}:{tag}")

    results = bench.rounds({
        "ocibatch": counted("ocibatch", ocibatch_action),
        "skopeo": counted("skopeo", skopeo_way),
        "limit": counted("limit", lambda: limit.relabel(bench.client_a, images, LABEL_KEY, LABEL_VALUE)),
    })
    row.ocibatch, ocibatch_counts = results["ocibatch"]
    row.skopeo, skopeo_counts = results["skopeo"]
    row.limit, limit_counts = results["limit"]
    how = f"ocibatch: {stopgap}" if stopgap else "ocibatch: `ocibatch run` of one relabel job, 8 workers"
    row.notes += [how, "skopeo: copy out to a layout, edit config and manifest, copy back, per image"]
    row.notes += [text for text in (ocibatch_counts, skopeo_counts, limit_counts) if text]
    return [row]


def _edit_layout_label(path, name):
    """The "edit" of the skopeo way: a new config with the label, a new manifest, index.json."""
    import hashlib

    index_path = os.path.join(path, "index.json")
    with open(index_path) as file:
        index = json.load(file)
    entry = next(e for e in index["manifests"]
                 if e.get("annotations", {}).get("org.opencontainers.image.ref.name") == name)

    def blob(digest):
        return os.path.join(path, "blobs", "sha256", digest.split(":", 1)[1])

    def write(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with open(blob(digest), "wb") as file:
            file.write(data)
        return digest

    with open(blob(entry["digest"]), "rb") as file:
        manifest = json.load(file)
    with open(blob(manifest["config"]["digest"]), "rb") as file:
        config = json.load(file)
    config.setdefault("config", {}).setdefault("Labels", {})[LABEL_KEY] = LABEL_VALUE
    config_data = json.dumps(config).encode()
    manifest["config"].update(digest=write(config_data), size=len(config_data))
    manifest_data = json.dumps(manifest).encode()
    entry.update(digest=write(manifest_data), size=len(manifest_data))
    with open(index_path, "w") as file:
        json.dump(index, file)


# 4 ----------------------------------------------------------------------------------------------


def cleanup(bench):
    sizes = bench.sizes
    repository = "cleanup/app"
    writer = LayoutWriter(bench.path("cleanup-layout"))
    tags = [f"pr-{n:04d}" for n in range(sizes.cleanup_deleted)] + [f"1.0.{n}" for n in range(sizes.cleanup_kept)]
    for n, tag in enumerate(tags):
        writer.image(repository, tag, [("cleanup-base", 4 * KiB)], labels={"build": str(n)})
    layout = writer.finish()
    snapshot = bench.seed(layout, "cleanup-a-snapshot")
    a = bench.a.host
    pattern = "^pr-[0-9]+$"
    kept = sorted(tag for tag in tags if not re.search(pattern, tag))
    row = Row(f"4. cleanup: delete {sizes.cleanup_deleted} of {len(tags)} tags of one repo by policy")

    def only_kept_left():
        left = sorted(limit.Client(a).tags(repository))
        return None if left == kept else f"{len(left)} tags left, expected {len(kept)}"

    def timed(label, action):
        def trial():
            bench.fresh(snapshot)
            return (bench.measure(f"cleanup, {label}", action, only_kept_left),)

        return trial

    plan = bench.write_plan("bench-cleanup", [{
        "id": "cleanup",
        "cleanup": {"repositories": [f"{a}/{repository}"], "delete": {"match": pattern}},
    }])

    def delete_listed():
        chosen = [t for t in limit.Client(a).tags(repository) if re.search(pattern, t)]
        bench.ocibatch.delete([f"docker://{a}/{repository}:{t}" for t in chosen], *bench.ocibatch.insecure(a))

    stopgap, ocibatch_action = bench.choose_ocibatch(
        plan, "the harness lists and filters the tags, then one `ocibatch delete` of them all", delete_listed)

    def skopeo_loop():
        for tag in bench.skopeo.list_tags(f"{a}/{repository}"):
            if re.search(pattern, tag):
                bench.skopeo.delete(f"{a}/{repository}:{tag}")

    results = bench.rounds({
        "ocibatch": timed("ocibatch", ocibatch_action),
        "skopeo": timed("skopeo", skopeo_loop),
        "limit": timed("limit", lambda: limit.delete_tags(bench.client_a, repository,
                                                          lambda tag: re.search(pattern, tag))),
    })
    (row.ocibatch,), (row.skopeo,), (row.limit,) = results["ocibatch"], results["skopeo"], results["limit"]
    row.notes.append(f"ocibatch: {stopgap}" if stopgap else
                     "ocibatch: `ocibatch run` of one cleanup job (delete match ^pr-), 8 workers")
    row.notes += ["skopeo: `list-tags`, then a `skopeo delete` loop",
                  "limit: GET tags/list, then HEAD + DELETE by digest per tag, 8 at a time"]
    return [row]


# 5 ----------------------------------------------------------------------------------------------


def single_image(bench):
    sizes = bench.sizes
    writer = LayoutWriter(bench.path("single-layout"))
    layers = [(f"single-{n}", sizes.single_layer) for n in range(sizes.single_layers)]
    writer.image("single/img", "v1", layers)
    layout = writer.finish(ref_name=lambda image: image.tag)
    digest = layout.images[0].manifest.digest
    a = bench.a.host
    row = Row(f"5. layout → registry: 1 image, {sizes.single_layers} × {_mib(sizes.single_layer)}")

    def pushed():
        found = limit.Client(a).head_manifest("single/img", "v1")
        return None if found == digest else f"manifest at A is {found}, expected {digest}"

    def timed(label, action):
        def trial():
            bench.fresh()
            return (bench.measure(f"single image, {label}", action, pushed),)

        return trial

    results = bench.rounds({
        "ocibatch": timed("ocibatch", lambda: bench.ocibatch.copy(
            f"oci:{layout.path}:v1", f"docker://{a}/single/img:v1", *bench.ocibatch.insecure(a))),
        "skopeo": timed("skopeo", lambda: bench.skopeo.copy(f"oci:{layout.path}:v1", f"docker://{a}/single/img:v1")),
        "limit": timed("limit", lambda: limit.push_layout(bench.client_a, layout)),
    })
    (row.ocibatch,), (row.skopeo,), (row.limit,) = results["ocibatch"], results["skopeo"], results["limit"]
    row.notes.append("limit: POST + PUT per blob from the file, all blobs at once, then the manifest")
    return [row]


# 6 ----------------------------------------------------------------------------------------------


def queue(bench):
    steps = bench.sizes.queue_steps
    row = Row(f"6. queue: {steps:,} no-op steps", skopeo="—", limit="—", ratios=False)
    if not bench.ocibatch.has_bench_queue:
        row.ocibatch = "pending: needs bench-queue command"
        return [row]
    bench.progress("queue, ocibatch …")
    try:
        output = bench.ocibatch.bench_queue(steps)
    except ToolFailed as error:
        row.ocibatch = f"failed: {_short(error)}"
        return [row]
    rate = re.search(r"([0-9][0-9,.]*)\s*steps/s", output)
    row.ocibatch = f"{rate[1]} steps/s" if rate else "failed: no steps/s in bench-queue output"
    row.notes.append("goal ≥ 5,000 steps/s; " + " ".join(output.split())[:200])
    return [row]


# 7 ----------------------------------------------------------------------------------------------


def memory(bench):
    sizes = bench.sizes
    writer = LayoutWriter(bench.path("memory-layout"))
    writer.image("memory/img", "v1", [("memory-layer", sizes.memory_layer)])
    layout = writer.finish(ref_name=lambda image: image.tag)
    a = bench.a.host
    row = Row(f"7. memory: peak RSS pushing one {_mib(sizes.memory_layer)} layer", unit="MiB", ratios=False)
    times = []

    def peak(label, argv):
        bench.fresh()
        holder = {}
        seconds = bench.measure(f"memory, {label}", lambda: holder.update(rss=bench.commands.peak_rss(argv)))
        if isinstance(seconds, str):
            return seconds
        times.append(f"{label} {seconds:.1f} s")
        return holder["rss"] / MiB

    row.ocibatch = peak("ocibatch", [bench.ocibatch.binary, "copy", f"oci:{layout.path}:v1",
                                     f"docker://{a}/memory/img:v1", *bench.ocibatch.insecure(a)])
    row.skopeo = peak("skopeo", ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{layout.path}:v1",
                                 f"docker://{a}/memory/img:v1"])
    row.limit = peak("limit", minimal_client_argv(layout.path, "v1", a, "memory/img", "v1"))
    row.notes.append("goal: flat, < 100 MiB; `/usr/bin/time -v` maximum RSS; limit = the Python client; "
                     + ", ".join(times))
    return [row]


# 8 ----------------------------------------------------------------------------------------------


INFLIGHT_WORKERS = 16
INFLIGHT_DELAY = 0.3


def inflight(bench):
    """How many requests `--workers 16` keeps in flight: a dry run of a delete job against a fake
    registry that holds every request 300 ms and counts how many it is handling at once."""
    tags = [f"t{n:02d}" for n in range(bench.sizes.inflight_tags)]
    row = Row(f"8. requests in flight with --workers {INFLIGHT_WORKERS}: `run --dry-run` of a delete of "
              f"{len(tags)} tags, every request held {INFLIGHT_DELAY * 1000:.0f} ms", skopeo="—", limit="—",
              ratios=False)
    if not bench.ocibatch.has_run:
        row.ocibatch = "not run: no `ocibatch run` in this build"
        return [row]
    server = SlowRegistry("inflight/app", tags, INFLIGHT_DELAY).start()
    try:
        plan = bench.write_plan("bench-inflight", [{
            "id": "retire",
            "delete": {"images": [f"{server.host}/{server.repository}:{tag}" for tag in tags]},
        }], insecure=[server.host])
        database = bench.path("inflight.db")
        bench.progress(f"inflight, ocibatch run --dry-run --workers {INFLIGHT_WORKERS} …")
        started = time.monotonic()
        try:
            bench.commands.run([bench.ocibatch.binary, "run", plan, "--dry-run", "--workers", str(INFLIGHT_WORKERS),
                                "--db", database], capture=True)
        except ToolFailed as error:
            bench.progress(f"inflight: the dry run failed; its output:\n{error.output}")
            row.ocibatch = f"failed: {_short(error)}"
            return [row]
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    row.ocibatch = f"max {server.max_in_flight} (goal {INFLIGHT_WORKERS})"
    tally = ", ".join(f"{kind} {count}" for kind, count in sorted(server.requests.items()))
    total = sum(server.requests.values())
    row.notes.append(f"elapsed {elapsed:.2f} s; {total} requests, {total / len(tags):.1f} per tag ({tally})")
    if server.refused:
        row.notes.append(f"answered 404: {', '.join(sorted(set(server.refused)))[:200]}")
    bench.progress(f"inflight: max {server.max_in_flight} in flight, {elapsed:.2f} s")
    return [row]


WORKLOADS = {
    "migration": migration,
    "relabel": relabel,
    "cleanup": cleanup,
    "single": single_image,
    "queue": queue,
    "memory": memory,
    "inflight": inflight,
}
