"""The app's services in one container, and the `Annotated[..., Depends(...)]` aliases every route declares."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from tutor.answering.tutor import Tutor
from tutor.api.access import authenticate, bearer_scheme
from tutor.api.ratelimit import RateLimits, budget_of, caller_of
from tutor.auth.policy import Principal, Role, learner_of, require_role
from tutor.auth.tokens import TokenStore
from tutor.config import Settings
from tutor.learner.accounts import LearnerAccounts
from tutor.learner.feedback import FeedbackStore
from tutor.learner.service import LearnerService
from tutor.learner.sessions import ChatSessions
from tutor.learner.store import LearnerStore
from tutor.ops.jobs import EvalRuns, IndexRebuilds
from tutor.ops.runtime import TutorRuntime
from tutor.ops.usage import Usage
from tutor.speech.base import Speaker
from tutor.speech.cache import SpeechCache


@dataclass
class Services:
    """Everything a request may need, built once by tutor.api.services.build_services."""

    settings: Settings
    runtime: TutorRuntime
    store: LearnerStore
    accounts: LearnerAccounts
    tokens: TokenStore
    sessions: ChatSessions
    feedback: FeedbackStore
    usage: Usage
    rebuilds: IndexRebuilds
    evals: EvalRuns
    limits: RateLimits
    #: Builds the learner journey when first asked for (it reads the quiz bank, about a second of YAML).
    load_learners: Callable[[], LearnerService]
    #: The offline read-aloud engine (None: switched off) and its on-disk cache.
    speaker: Speaker | None = None
    speech_cache: SpeechCache | None = None
    _learners: LearnerService | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def learners(self) -> LearnerService:
        """Loaded on first use: chat works without a quiz bank; placement answers 503 until there is one."""
        with self._lock:
            if self._learners is None:
                self._learners = self.load_learners()
            return self._learners


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


def get_tutor(services: ServicesDep) -> Tutor:
    """The Tutor serving now (503 with the rebuild hint when there is no index); fixed for this request."""
    services.runtime.refresh_if_rebuilt()
    return services.runtime.tutor


def get_accounts(services: ServicesDep) -> LearnerAccounts:
    return services.accounts


def get_learners(services: ServicesDep) -> LearnerService:
    return services.learners()


def get_sessions(services: ServicesDep) -> ChatSessions:
    return services.sessions


def get_feedback(services: ServicesDep) -> FeedbackStore:
    return services.feedback


def get_usage(services: ServicesDep) -> Usage:
    return services.usage


SettingsDep = Annotated[Settings, Depends(get_settings)]
TutorDep = Annotated[Tutor, Depends(get_tutor)]
AccountsDep = Annotated[LearnerAccounts, Depends(get_accounts)]
LearnersDep = Annotated[LearnerService, Depends(get_learners)]
SessionsDep = Annotated[ChatSessions, Depends(get_sessions)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]
UsageDep = Annotated[Usage, Depends(get_usage)]


# -- who is calling -------------------------------------------------------------------------------------------


def current_principal(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal | None:
    # The rate limiter, which runs first, has already looked a valid token up for this request.
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None and credentials is not None:
        return cached
    return authenticate(services.tokens, credentials)


PrincipalDep = Annotated[Principal | None, Depends(current_principal)]


def current_learner(principal: PrincipalDep) -> str:
    """The learner id bound to a learner token: 401 without a token, 403 for a trainer or operator token."""
    return learner_of(principal)


def trainer(principal: PrincipalDep) -> Principal:
    return require_role(principal, (Role.TRAINER, Role.OPERATOR))


def operator(principal: PrincipalDep) -> Principal:
    return require_role(principal, (Role.OPERATOR,))


def rate_limited(request: Request, services: ServicesDep) -> None:
    """Every route depends on this: count the request against the caller's budget (429 when it is spent)."""
    budget = budget_of(request)
    if budget is not None and services.limits.enabled(budget):
        services.limits.hit(budget, caller_of(request, services.tokens))


LearnerIdDep = Annotated[str, Depends(current_learner)]
TrainerDep = Annotated[Principal, Depends(trainer)]
OperatorDep = Annotated[Principal, Depends(operator)]
