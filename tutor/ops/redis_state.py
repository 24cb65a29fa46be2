"""State every worker shares through Redis: job status with a lease per running job, and usage counters.

Rate limits use the `limits` package's own Redis storage (built in tutor.wiring); this module holds what `limits` does
not: the operators' job board and the usage counters. Both are small keys under one prefix, so one Redis (or one
database number of it) serves a whole deployment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import time
from typing import Any

import redis

from tutor.errors import TutorError
from tutor.ops.jobs import JobState, JobStatus
from tutor.ops.usage import UsageSnapshot, answer_counts, snapshot_of
from tutor.types import Answer

log = logging.getLogger("tutor.shared")

#: A running job's claim expires this long after its worker last published (every Job.HEARTBEAT_S), so a job whose
#: worker was killed does not block the next one for ever.
LEASE_S = 45
#: A worker whose Redis is unreachable says so in its log at most this often, not on every request.
WARN_EVERY_S = 30.0


class SharedStateError(TutorError, http_status=503, exit_code=2):
    """Redis, where the workers share their state, cannot be reached."""


def connect(url: str) -> redis.Redis:
    """A client with short timeouts: a Redis that is down must cost a request milliseconds, not a minute."""
    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0, health_check_interval=30)


def _unreachable(exc: Exception) -> SharedStateError:
    return SharedStateError(
        f"Không kết nối được Redis dùng chung giữa các tiến trình ({type(exc).__name__}). "
        "Kiểm tra dịch vụ Redis hoặc TUTOR_REDIS_URL rồi thử lại."
    )


def _status_json(status: JobStatus) -> str:
    data = dataclasses.asdict(status)
    for key in ("started_at", "finished_at"):
        value = data[key]
        data[key] = value.isoformat() if value is not None else None
    data["state"] = status.state.value
    return json.dumps(data, ensure_ascii=False)


def _status_of(text: str | bytes) -> JobStatus:
    data: dict[str, Any] = json.loads(text)
    for key in ("started_at", "finished_at"):
        if data.get(key):
            data[key] = dt.datetime.fromisoformat(data[key])
    data["state"] = JobState(data["state"])
    return JobStatus(**data)


class RedisJobBoard:
    """Job status as JSON under `<prefix>job:<kind>`; a running job also holds `<prefix>job:<kind>:lease`.

    The lease is taken with SET NX, so of two workers asked to rebuild at once exactly one starts (the other answers
    409), and it expires LEASE_S after the running worker's last heartbeat: a job whose worker was killed reads as
    failed, and a new one may start.
    """

    def __init__(self, client: redis.Redis, prefix: str = "tutor:") -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, kind: str) -> str:
        return f"{self._prefix}job:{kind}"

    def claim(self, status: JobStatus) -> JobStatus | None:
        key = self._key(status.kind)
        try:
            if not self._redis.set(f"{key}:lease", status.id or "", nx=True, ex=LEASE_S):
                return self.read(status.kind)
            self._redis.set(key, _status_json(status))
        except redis.RedisError as exc:
            raise _unreachable(exc) from exc
        return None

    def publish(self, status: JobStatus) -> None:
        key = self._key(status.kind)
        try:
            with self._redis.pipeline() as pipe:
                pipe.set(key, _status_json(status))
                if status.state is JobState.RUNNING:
                    pipe.set(f"{key}:lease", status.id or "", ex=LEASE_S)
                else:
                    pipe.delete(f"{key}:lease")
                pipe.execute()
        except redis.RedisError as exc:
            raise _unreachable(exc) from exc

    def read(self, kind: str) -> JobStatus:
        key = self._key(kind)
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.exists(f"{key}:lease")
                text, leased = pipe.execute()
        except redis.RedisError as exc:
            raise _unreachable(exc) from exc
        if text is None:
            return JobStatus(kind)
        status = _status_of(text)
        if status.state is JobState.RUNNING and not leased:
            return dataclasses.replace(
                status,
                state=JobState.FAILED,
                finished_at=None,
                error="Tiến trình chạy việc này đã dừng giữa chừng (bị khởi động lại hoặc tắt). Hãy chạy lại.",
            )
        return status


class RedisUsageCounter:
    """The usage counters in one Redis hash (`<prefix>usage`), incremented by every worker: one round trip an answer.

    Counting must never cost a learner their answer, so a Redis that is down only loses counts (and logs it).
    """

    def __init__(self, client: redis.Redis, prefix: str = "tutor:") -> None:
        self._redis = client
        self._key = f"{prefix}usage"
        self._warned = 0.0
        try:
            self._redis.set(f"{self._key}:since", dt.datetime.now(dt.UTC).isoformat(), nx=True)
        except redis.RedisError:
            self._warn("could not reach Redis to start the usage counters")

    def _warn(self, what: str) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY_S:
            self._warned = now
            log.warning(what, exc_info=True)

    def _add(self, counts: dict[str, int]) -> None:
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for field, n in counts.items():
                    if n:
                        pipe.hincrby(self._key, field, n)
                pipe.execute()
        except redis.RedisError:
            self._warn("usage not counted: Redis unreachable")

    def answered(self, answer: Answer, channel: str) -> None:
        self._add(answer_counts(answer, channel))

    def failed(self) -> None:
        self._add({"n:errors": 1})

    def snapshot(self) -> UsageSnapshot:
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.hgetall(self._key)
                pipe.get(f"{self._key}:since")
                raw, since = pipe.execute()
        except redis.RedisError as exc:
            raise _unreachable(exc) from exc
        counts = {k.decode(): int(v) for k, v in raw.items()}
        started = dt.datetime.fromisoformat(since.decode()) if since else dt.datetime.now(dt.UTC)
        return snapshot_of(started, counts)
