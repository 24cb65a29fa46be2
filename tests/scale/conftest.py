"""Fixtures for the multi-worker tests: a private redis-server on loopback, and the learner tests' PostgreSQL 15."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.learner.conftest import pg_server  # noqa: F401 - pytest finds fixtures by name
from tutor.testing.service import free_port

__all__ = ["pg_server", "redis_server", "redis_url"]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A throwaway redis-server (Debian's package) on a free loopback port, nothing saved to disk; its base URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed (`make install-dev` installs the Debian package)")
    pytest.importorskip("redis", reason="redis-py is needed for the shared-state tests")
    import redis

    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="tutor-redis-"))
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen([*args, "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        client = redis.Redis(port=port, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start (exit {proc.poll()})") from None
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """Database 1 of the session's Redis, emptied before the test."""
    import redis

    url = f"{redis_server}/1"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    yield url
