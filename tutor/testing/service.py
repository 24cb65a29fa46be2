"""Child processes for benchmarks and load tests: start one on a free loopback port, wait until it is ready, stop it.

The load test and `make bench` measure the real `tutor serve` (and the fake Ollama beside it) as separate
processes, so what they time is the service over HTTP, not an in-process shortcut.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(
    args: Sequence[str],
    ready_url: str,
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path | None = None,
    timeout: float = 120,
) -> Iterator[int]:
    """Start `args`, wait until `ready_url` answers 200, yield the pid; SIGTERM (then SIGKILL) at the end.

    Output goes to `log` (or nowhere); a process that exits or is not ready in `timeout` seconds raises
    RuntimeError with the end of its log.
    """
    with Path(log if log is not None else os.devnull).open("wb") as out:
        proc = subprocess.Popen(list(args), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT)

    def tail() -> str:
        return log.read_text(errors="replace")[-3000:] if log is not None else "(no log kept)"

    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{args} exited with {proc.returncode}:\n{tail()}")
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{ready_url} not ready after {timeout:.0f}s:\n{tail()}")
            time.sleep(0.2)
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def worker_pids(master: int) -> list[int]:
    """The serving children of a uvicorn or gunicorn master, oldest first (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{master}/task/{master}/children")
    try:
        pids = [int(p) for p in children.read_text().split()]
    except OSError:
        return []
    serving = []
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # it has just exited
        if b"resource_tracker" not in cmdline:
            serving.append(pid)
    return serving


def cpu_ticks(pid: int) -> int:
    """User + system CPU time a process has used, in clock ticks (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
