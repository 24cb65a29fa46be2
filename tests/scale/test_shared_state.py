"""Shared state in a real redis-server: one budget, one job slot and one set of counters for every worker."""

from __future__ import annotations

import threading
import time

import pytest
from limits.storage import RedisStorage

from tutor.api.ratelimit import RateLimits, parse_limits
from tutor.config import Settings
from tutor.errors import ConfigError, RateLimitedError
from tutor.ops import redis_state
from tutor.ops.jobs import Job, JobRunningError, JobState
from tutor.ops.redis_state import RedisJobBoard, RedisUsageCounter, connect
from tutor.testing.service import free_port
from tutor.types import Answer, Group, Level, Refusal, RefusalKind
from tutor.wiring import build_shared_state


def _limits(url: str, chat: str) -> RateLimits:
    """What each worker builds: its own client and storage, pointed at the same Redis."""
    client = connect(url)
    storage = RedisStorage(url, connection_pool=client.connection_pool, wrap_exceptions=True)
    return RateLimits(parse_limits(chat, "rate_limit_chat"), [], storage)


def test_a_budget_is_spent_once_across_workers(redis_url: str):
    workers = [_limits(redis_url, "7/minute") for _ in range(3)]
    accepted = refused = 0
    for n in range(20):
        try:
            workers[n % 3].hit("chat", "token:abc")
            accepted += 1
        except RateLimitedError as exc:
            refused += 1
            assert exc.retry_after is not None and exc.retry_after >= 1
    assert (accepted, refused) == (7, 13)
    workers[0].hit("chat", "token:other")  # another caller has a budget of its own


def test_concurrent_requests_in_many_threads_never_exceed_the_budget(redis_url: str):
    workers = [_limits(redis_url, "25/minute") for _ in range(2)]
    accepted: list[int] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        try:
            workers[n % 2].hit("chat", "token:burst")
        except RateLimitedError:
            return
        with lock:
            accepted.append(n)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 25


def test_an_unreachable_redis_lets_requests_through_rather_than_refusing_everyone():
    dead = f"redis://127.0.0.1:{free_port()}/0"
    limits = _limits(dead, "1/minute")
    for _ in range(3):
        limits.hit("chat", "token:abc")  # no RateLimitedError, no crash: logged instead


def test_one_job_of_a_kind_runs_across_workers_and_its_status_is_seen_by_all(redis_url: str):
    release = threading.Event()
    first = Job("index-rebuild", RedisJobBoard(connect(redis_url)))
    second = Job("index-rebuild", RedisJobBoard(connect(redis_url)))

    def work(progress):  # type: ignore[no-untyped-def]
        progress(1, 2)
        release.wait(10)
        return {"chunk_count": 2}

    started = first.start(work)
    with pytest.raises(JobRunningError):
        second.start(work)
    # The job's thread reports its progress when it gets the CPU: wait for it (on a busy machine it can take a while).
    deadline = time.monotonic() + 10
    while (seen := second.status()).done == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert seen.state is JobState.RUNNING and seen.id == started.id and (seen.done, seen.total) == (1, 2)
    release.set()
    assert first.wait(10).state is JobState.SUCCEEDED
    assert second.status().result == {"chunk_count": 2}
    assert second.start(lambda progress: {}).state is JobState.RUNNING  # the slot is free again
    assert second.wait(10).state is JobState.SUCCEEDED


def test_a_job_whose_worker_died_reads_as_failed_once_its_lease_runs_out(redis_url: str, monkeypatch):
    monkeypatch.setattr(redis_state, "LEASE_S", 1)
    board = RedisJobBoard(connect(redis_url))
    job = Job("eval-run", board)
    job.HEARTBEAT_S = 60  # the "dead" worker never renews its lease
    stop = threading.Event()
    job.start(lambda progress: stop.wait(10) and {})
    time.sleep(1.5)
    other = RedisJobBoard(connect(redis_url)).read("eval-run")
    assert other.state is JobState.FAILED and "dừng giữa chừng" in (other.error or "")
    assert Job("eval-run", RedisJobBoard(connect(redis_url))).start(lambda progress: {}).state is JobState.RUNNING
    stop.set()


def _answer(level: Level, degraded: bool, refusal: Refusal | None = None) -> Answer:
    return Answer(
        question="q",
        level=level,
        group=Group.NGUOI_DAN,
        text="t",
        citations=(),
        hits=(),
        degraded=degraded,
        refusal=refusal,
    )


def test_usage_counted_by_two_workers_adds_up(redis_url: str):
    a, b = RedisUsageCounter(connect(redis_url)), RedisUsageCounter(connect(redis_url))
    a.answered(_answer(Level.CO_BAN, False), "anonymous")
    b.answered(_answer(Level.NANG_CAO, True), "session")
    b.failed()
    a.answered(_answer(Level.CO_BAN, False, Refusal(RefusalKind.OUT_OF_SCOPE, "bộ phân loại: 0,93")), "anonymous")
    b.answered(_answer(Level.CO_BAN, False, Refusal(RefusalKind.MANIPULATION, "luật: vai trò")), "anonymous")
    snap = a.snapshot()
    assert (snap.questions, snap.degraded, snap.errors, snap.unanswered) == (4, 1, 1, 4)
    assert snap.by_refusal == {"out_of_scope": 1, "manipulation": 1}
    assert snap.by_channel == {"anonymous": 3, "session": 1}
    assert snap.by_level == {"co-ban": 3, "nang-cao": 1}
    assert snap.since == b.snapshot().since


def test_usage_is_not_an_error_when_redis_is_down():
    counter = RedisUsageCounter(connect(f"redis://127.0.0.1:{free_port()}/0"))
    counter.answered(_answer(Level.CO_BAN, False), "anonymous")  # lost, logged, never raised


def test_two_workers_without_redis_are_refused_with_the_setting_to_fix(tmp_path):
    with pytest.raises(ConfigError, match="TUTOR_REDIS_URL"):
        build_shared_state(Settings(data_dir=tmp_path, workers=2))
    single = build_shared_state(Settings(data_dir=tmp_path))
    assert type(single.usage).__name__ == "UsageCounter"


def test_workers_are_also_read_from_web_concurrency(monkeypatch, tmp_path):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    with pytest.raises(ConfigError):
        build_shared_state(Settings(data_dir=tmp_path))


def test_with_redis_every_part_is_shared(redis_url: str, tmp_path):
    shared = build_shared_state(Settings(data_dir=tmp_path, workers=4, redis_url=redis_url))
    assert isinstance(shared.limits_storage, RedisStorage)
    assert isinstance(shared.jobs, RedisJobBoard) and isinstance(shared.usage, RedisUsageCounter)
    with pytest.raises(ConfigError, match="TUTOR_REDIS_URL"):
        build_shared_state(Settings(data_dir=tmp_path, redis_url="http://not-redis"))


def test_serve_with_two_workers_and_no_redis_says_so_in_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from tutor.cli import app

    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["serve", "--workers", "2", "--port", str(free_port())])
    assert result.exit_code == 2
    assert "TUTOR_REDIS_URL" in result.output and "Traceback" not in result.output
