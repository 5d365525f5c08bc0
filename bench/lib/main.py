"""ocibatch benchmark (issue 7): ocibatch, skopeo and a minimal LIMIT client side by side.

Usage: bench/run [--small] [--repeat N] [--only NAME[,NAME…]] [--keep] [--work DIR] [--no-build | --binary PATH]

Builds the release binary (swift build -c release), starts two docker-registry instances (A and B)
on loopback, generates its own images, runs each workload with every client from the same state
(registry storage reset, skopeo's blob-info cache removed) and prints one Markdown table.
--small is a fast configuration (tiny images, a few repositories) that CI runs to keep this
working; its figures mean nothing. Workloads: migration (rows 1 and 2), relabel, cleanup, single,
queue, memory, inflight (requests in flight with --workers 16 against a slow fake registry).
Everything started is stopped on exit; the work directory (generated images,
registry storage, logs) is removed unless --keep or --work is given.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from registries import Registry, free_ports  # noqa: E402
from report import render_table  # noqa: E402
from tools import Commands, OCIBatch, Skopeo  # noqa: E402
from workloads import FULL, SMALL, WORKLOADS, Bench  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
REQUIRED = ["docker-registry", "skopeo", "curl", "/usr/bin/time"]


def progress(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse(arguments):
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="tiny images, few repositories (CI)")
    parser.add_argument("--only", help="comma-separated workloads: " + ",".join(WORKLOADS))
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="time each client N times, interleaved, and report medians (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--work", help="work directory (kept); default a new one under $TMPDIR")
    parser.add_argument("--no-build", action="store_true", help="use the existing .build/release/ocibatch")
    parser.add_argument("--binary", help="measure this ocibatch binary instead of building one")
    options = parser.parse_args(arguments)
    wanted = options.only.split(",") if options.only else list(WORKLOADS)
    unknown = [name for name in wanted if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    options.selected = [name for name in WORKLOADS if name in wanted]
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    return options


def find_swift():
    if shutil.which("swift"):
        return "swift"
    if os.access("/opt/swift/usr/bin/swift", os.X_OK):
        return "/opt/swift/usr/bin/swift"
    sys.exit("bench/run: swift is not on PATH (nor /opt/swift/usr/bin/swift)")


def build():
    progress("swift build -c release --product ocibatch")
    subprocess.run([find_swift(), "build", "-c", "release", "--product", "ocibatch"], cwd=ROOT, check=True,
                   stdout=sys.stderr)
    binary = os.path.join(ROOT, ".build", "release", "ocibatch")
    if not os.access(binary, os.X_OK):
        sys.exit(f"bench/run: the build did not produce {binary}")
    return binary


def main(arguments):
    options = parse(arguments)
    missing = [tool for tool in REQUIRED if not shutil.which(tool)]
    if missing:
        sys.exit(f"bench/run: missing {', '.join(missing)} (Tests/run installs them: apt-get install "
                 "docker-registry skopeo curl time)")
    if options.binary:
        binary = os.path.abspath(options.binary)
    elif options.no_build:
        binary = os.path.join(ROOT, ".build", "release", "ocibatch")
    else:
        binary = build()
    if not os.access(binary, os.X_OK):
        sys.exit(f"bench/run: {binary} is not an executable")

    work = options.work or tempfile.mkdtemp(prefix="ocibatch-bench.")
    os.makedirs(work, exist_ok=True)
    keep = options.keep or bool(options.work)
    port_a, port_b = free_ports(2)
    registry_a = Registry("a", work, port_a)
    registry_b = Registry("b", work, port_b)

    # SIGTERM and SIGHUP end the run like Ctrl-C: the finally below stops what was started.
    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    try:
        commands = Commands(os.path.join(work, "commands.log"))
        ocibatch = OCIBatch(binary, commands, os.path.join(work, "ocibatch-state"))
        bench = Bench(SMALL if options.small else FULL, work, registry_a, registry_b, ocibatch, Skopeo(commands),
                      commands, progress, repeat=options.repeat)
        progress(f"work directory {work}; registries A {registry_a.host}, B {registry_b.host}; "
                 f"ocibatch run: {'yes' if ocibatch.has_run else 'no'}, "
                 f"bench-queue: {'yes' if ocibatch.has_bench_queue else 'no'}")
        started = time.monotonic()
        rows = []
        for name in options.selected:
            rows += WORKLOADS[name](bench)
        configuration = "small (CI; figures mean nothing)" if options.small else "full"
        if options.repeat > 1:
            configuration += f", medians of {options.repeat} interleaved runs (rows 1–5)"
        print(render_table(rows))
        print(f"\nConfiguration: {configuration}; {time.monotonic() - started:.0f} s in all; "
              f"{time.strftime('%Y-%m-%d')}; {os.cpu_count()} cores.")
        failed = [row.workload for row in rows
                  for cell in (row.ocibatch, row.skopeo, row.limit) if str(cell).startswith("failed")]
        if failed:
            progress("some measurements failed (see the table); commands.log in the work directory has details")
            keep = True
            return 1
        return 0
    except KeyboardInterrupt:
        progress("interrupted")
        return 130
    finally:
        registry_a.stop()
        registry_b.stop()
        if keep:
            progress(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
