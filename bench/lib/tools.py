"""Running the measured command-line tools (ocibatch, skopeo, the LIMIT client as a process)
and reading what they report."""

import json
import os
import re
import subprocess
import sys

LIB = os.path.dirname(os.path.abspath(__file__))
# One command may take this long (seconds) before it is stopped and counted as failed, so that a
# pathological case shows in the table instead of stalling the whole run.
COMMAND_TIMEOUT = 600
# What `ocibatch run` says when a plan uses a job kind this build cannot run yet.
UNSUPPORTED = "not supported yet"


class ToolFailed(Exception):
    """A command exited non-zero (or did not finish: `returncode` None); `output` is what it printed."""

    def __init__(self, argv, returncode, output):
        name = " ".join([os.path.basename(argv[0])] + argv[1:2])
        outcome = "did not finish" if returncode is None else f"exited {returncode}"
        super().__init__(f"{name} {outcome}: {output.strip()[-600:]}")
        self.output = output


class Commands:
    """Runs commands with their output appended to one log file (a failure carries the output)."""

    def __init__(self, log_path, environment=None):
        self.log_path = log_path
        self.environment = dict(os.environ, **(environment or {}))

    def run(self, argv, capture=False):
        """Runs `argv`; returns its output when `capture`, else "" (the output is only logged)."""
        with open(self.log_path, "a") as log:
            log.write("$ " + " ".join(argv) + "\n")
            log.flush()
            start = log.tell()
            try:
                result = subprocess.run(
                    argv, text=True, env=self.environment, stdin=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT,
                    stdout=subprocess.PIPE if capture else log, stderr=subprocess.STDOUT if capture else log,
                )
            except subprocess.TimeoutExpired:
                raise ToolFailed(argv, None, f"stopped after {COMMAND_TIMEOUT} s") from None
            if capture:
                log.write(result.stdout)
        output = result.stdout if capture else _read_from(self.log_path, start)
        if result.returncode != 0:
            raise ToolFailed(argv, result.returncode, output)
        return output if capture else ""

    def peak_rss(self, argv):
        """Runs `argv` under /usr/bin/time -v and returns its peak resident set size in bytes."""
        output = self.run(["/usr/bin/time", "-v"] + argv, capture=True)
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", output)
        if not match:
            raise ToolFailed(argv, 0, "/usr/bin/time -v printed no maximum resident set size")
        return int(match[1]) * 1024


def _read_from(path, offset):
    with open(path, "rb") as file:
        file.seek(offset)
        return file.read().decode(errors="replace")


class OCIBatch:
    """The ocibatch release binary and which of its commands this build has."""

    def __init__(self, binary, commands, state_directory):
        self.binary = binary
        self.commands = commands
        self.state_directory = state_directory
        self.has_run = self._has("run")
        self.has_bench_queue = self._has("bench-queue")

    def _has(self, command):
        result = subprocess.run([self.binary, command, "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return result.returncode == 0

    def insecure(self, *hosts):
        return [argument for host in hosts for argument in ("--insecure-registry", host)]

    def copy(self, source, destination, *options):
        self.commands.run([self.binary, "copy", source, destination, *options])

    def delete(self, references, *options):
        self.commands.run([self.binary, "delete", *references, *options])

    def run_plan(self, plan_path):
        """`ocibatch run PLAN` against a fresh database, so nothing is remembered between runs."""
        database = os.path.join(self.state_directory, "ocibatch.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(database + suffix):
                os.remove(database + suffix)
        os.makedirs(self.state_directory, exist_ok=True)
        self.commands.run([self.binary, "run", plan_path, "--db", database])

    def accepts(self, plan_path):
        """False when `ocibatch run --dry-run` refuses the plan for a job kind it cannot run yet
        (a dry run changes nothing; other failures are left for the timed run to show)."""
        try:
            self.commands.run([self.binary, "run", "--dry-run", plan_path])
        except ToolFailed as error:
            return UNSUPPORTED not in error.output
        return True

    def bench_queue(self, steps):
        return self.commands.run([self.binary, "bench-queue", "--steps", str(steps)], capture=True)


class Skopeo:
    def __init__(self, commands):
        self.commands = commands

    def copy(self, source, destination):
        self.commands.run(
            ["skopeo", "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false", source, destination]
        )

    def sync(self, source_repository, destination_prefix):
        self.commands.run(
            ["skopeo", "sync", "--src", "docker", "--dest", "docker", "--src-tls-verify=false",
             "--dest-tls-verify=false", source_repository, destination_prefix]
        )

    def list_tags(self, repository):
        output = self.commands.run(["skopeo", "list-tags", "--tls-verify=false", "docker://" + repository],
                                   capture=True)
        return json.loads(output)["Tags"] or []

    def delete(self, reference):
        self.commands.run(["skopeo", "delete", "--tls-verify=false", "docker://" + reference])


def minimal_client_argv(*arguments):
    """The LIMIT client as its own process (for peak RSS): bench/lib/minimal_client_cli.py."""
    return [sys.executable, "-B", os.path.join(LIB, "minimal_client_cli.py"), *arguments]
