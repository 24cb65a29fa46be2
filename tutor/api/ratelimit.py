"""Per-caller request limits on /api/: a moving window per access token, or per address without one (429 over it)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from tutor.auth.tokens import TokenStore
from tutor.config import Settings
from tutor.errors import ConfigError, RateLimitedError
from tutor.llm.resilience import DEFAULT_CONCURRENCY

#: Endpoints that make the LLM generate (the preview three times): they get the smaller `rate_limit_chat` budget.
LLM_ROUTES = frozenset(
    {
        ("POST", "/api/chat"),
        ("POST", "/api/chat/stream"),
        ("POST", "/api/sessions/{session_id}/messages"),
        ("POST", "/api/preview"),
    }
)
CHAT, API = "chat", "api"
#: The chat budget of callers without a token (counted per address), sized to what the model really serves.
CHAT_ANONYMOUS = "chat-anonymous"
#: Answers one generation slot gives a minute and an hour: the embedded model takes about 10 s an answer.
ANSWERS_PER_SLOT = (6, 120)

log = logging.getLogger("tutor.api")
#: While the shared storage is unreachable, say so in the log at most this often.
_WARN_EVERY_S = 30.0

_UNITS = {"second": "giây", "minute": "phút", "hour": "giờ", "day": "ngày", "month": "tháng", "year": "năm"}
_WHAT = {CHAT: "câu hỏi", CHAT_ANONYMOUS: "câu hỏi", API: "yêu cầu"}


def parse_limits(text: str, setting: str) -> list[RateLimitItem]:
    """`limits` syntax ("20/minute;200/hour"); empty or "0" means no limit. A typo is a ConfigError, not no limit."""
    text = text.strip()
    if text in ("", "0"):
        return []
    try:
        items = parse_many(text)
    except ValueError:
        items = []
    if not items or any(item.amount < 1 for item in items):
        raise ConfigError(
            f"TUTOR_{setting.upper()}={text!r} không phải giới hạn hợp lệ. Hãy viết như '20/minute' hoặc "
            "'20/minute;200/hour', hoặc để trống (hay 0) để không giới hạn."
        )
    return items


def _describe(item: RateLimitItem) -> str:
    unit = _UNITS.get(item.GRANULARITY.name, item.GRANULARITY.name)
    every = unit if item.multiples == 1 else f"{item.multiples} {unit}"
    return f"{item.amount} lượt mỗi {every}"


class RateLimits:
    """Budgets, `chat` for LLM endpoints and `api` for the rest, counted in `storage`: this process's memory
    (one worker), or `limits`' Redis storage shared by every worker, so a token's budget is spent once.

    If the shared storage cannot be reached, requests are let through and the log says so: a tutor for the public
    stays open rather than refusing everyone because a counter is down. Chat questions from callers without a token
    count against a third budget, `chat-anonymous`, in the same storage (so it too is shared by every worker).
    """

    def __init__(
        self,
        chat: Sequence[RateLimitItem],
        api: Sequence[RateLimitItem],
        storage: Storage | None = None,
        chat_anonymous: Sequence[RateLimitItem] | None = None,
    ) -> None:
        self._items = {
            CHAT: list(chat),
            CHAT_ANONYMOUS: list(chat if chat_anonymous is None else chat_anonymous),
            API: list(api),
        }
        self._limiter = MovingWindowRateLimiter(storage if storage is not None else MemoryStorage())
        self._warned = 0.0

    @classmethod
    def from_settings(cls, settings: Settings, storage: Storage | None = None) -> RateLimits:
        return cls(
            parse_limits(settings.rate_limit_chat, "rate_limit_chat"),
            parse_limits(settings.rate_limit_api, "rate_limit_api"),
            storage,
            parse_limits(anonymous_chat_limit(settings), "rate_limit_chat_anonymous"),
        )

    def enabled(self, budget: str) -> bool:
        """False when the budget is switched off (empty or 0), so callers need not even be identified."""
        return bool(self._items[budget]) or (budget == CHAT and bool(self._items[CHAT_ANONYMOUS]))

    def hit(self, budget: str, caller: str) -> None:
        """Count one request of `caller` against `budget`; RateLimitedError (with the wait) when over any limit.

        A chat question from an address (no valid token) counts against the anonymous chat budget instead.
        """
        try:
            self._hit(budget, caller)
        except StorageError:
            now = time.monotonic()
            if now - self._warned >= _WARN_EVERY_S:
                self._warned = now
                log.warning("rate limits not counted: their storage is unreachable", exc_info=True)

    def _hit(self, budget: str, caller: str) -> None:
        if budget == CHAT and caller.startswith("address:"):
            budget = CHAT_ANONYMOUS
        items = self._items[budget]
        # Test every window before counting in any, so a refused request does not use up the others.
        for item in items:
            if not self._limiter.test(item, budget, caller):
                raise self._refusal(item, budget, caller)
        for item in items:
            if not self._limiter.hit(item, budget, caller):  # a concurrent request took the last slot
                raise self._refusal(item, budget, caller)

    def _refusal(self, item: RateLimitItem, budget: str, caller: str) -> RateLimitedError:
        reset = self._limiter.get_window_stats(item, budget, caller).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        return RateLimitedError(
            f"Bạn đã gửi quá nhiều {_WHAT[budget]} trong thời gian ngắn (tối đa {_describe(item)}). "
            f"Hãy đợi khoảng {wait} giây rồi thử lại.",
            retry_after=wait,
        )


def anonymous_chat_limit(settings: Settings) -> str:
    """TUTOR_RATE_LIMIT_CHAT_ANONYMOUS, with "auto" worked out from the generation slots the backend has.

    Anonymous callers share the slots with everyone: one address gets what the slots answer, 6 a minute and 120 an
    hour per slot, not the 120 a minute a learner's token may send. Without an LLM nothing is scarce, so "auto" is
    the token budget then: with TUTOR_LLM=extractive, and with an answer mode that never asks the model (the default
    composed answer, or quoted). A pool of servers has the slots of each (TUTOR_LLM_CONCURRENCY per server).
    """
    value = settings.rate_limit_chat_anonymous.strip()
    if value.lower() != "auto":
        return value
    if settings.llm == "extractive" or settings.answer_mode in ("composed", "quoted"):
        return settings.rate_limit_chat
    slots = (settings.llm_concurrency or DEFAULT_CONCURRENCY.get(settings.llm, 1)) * _servers(settings)
    per_minute, per_hour = ANSWERS_PER_SLOT
    return f"{per_minute * slots}/minute;{per_hour * slots}/hour"


def _servers(settings: Settings) -> int:
    """How many LLM servers the pool has (each gives this worker its own slots); 1 for the embedded model."""
    hosts = {"ollama": settings.ollama_host, "openai": settings.openai_base_url}.get(settings.llm)
    return max(1, len([h for h in hosts.split(",") if h.strip()])) if hosts else 1


def budget_of(request: Request) -> str | None:
    """Which budget a request counts against; None for what is never limited (health checks, pages, static files)."""
    if not request.url.path.startswith("/api/"):
        return None
    # The matched route's template, so /api/sessions/abc/messages is recognised whatever the id.
    template = getattr(request.scope.get("route"), "path", request.url.path)
    return CHAT if (request.method, template) in LLM_ROUTES else API


def caller_of(request: Request, tokens: TokenStore) -> str:
    """A valid access token's id (never the secret), else the client address.

    Only a token that authenticates gets a budget of its own: otherwise anyone could dodge the per-address limit
    on anonymous chat by sending a new made-up token with every question.
    """
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        try:
            principal = tokens.authenticate(secret)
            # The route's own authentication reuses it: one token lookup per request, not two.
            request.state.principal = principal
            return f"token:{principal.token_id}"
        except Exception:  # noqa: BLE001 - unknown, revoked, or the learner database is down: anonymous chat goes on
            pass  # counted by address; an endpoint that needs a token answers 401 (or 503) itself
    client = request.client
    return f"address:{client.host if client else 'unknown'}"
