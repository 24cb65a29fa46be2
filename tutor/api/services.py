"""The API's services, assembled once from the composition root's builders (tutor.wiring) for one process."""

from __future__ import annotations

from tutor.api.deps import Services
from tutor.api.ratelimit import RateLimits
from tutor.config import Settings
from tutor.ops.jobs import EvalRuns, IndexRebuilds
from tutor.speech.cache import SpeechCache
from tutor.wiring import (
    Prebuilt,
    build_accounts,
    build_chat_sessions,
    build_embedder,
    build_feedback,
    build_learner_service,
    build_learner_store,
    build_runtime,
    build_shared_state,
    build_speaker,
    load_eval_job,
)

# The container is the API's (it holds the rate limits, which know FastAPI); every part in it is built by wiring.


def build_services(settings: Settings, given: Prebuilt | None = None) -> Services:
    """Everything the app serves with, built once; parts in `given` are used instead of being built."""
    given = given or Prebuilt()
    shared = build_shared_state(settings)  # several workers without Redis are refused here, before any model loads
    limits = RateLimits.from_settings(settings, shared.limits_storage)  # so is a malformed limit
    runtime = build_runtime(settings, given)
    store = given.store or build_learner_store(settings)
    accounts = build_accounts(settings, store)
    return Services(
        settings=settings,
        runtime=runtime,
        store=store,
        accounts=accounts,
        tokens=accounts.tokens,
        sessions=build_chat_sessions(store),
        feedback=build_feedback(store),
        usage=shared.usage,
        rebuilds=IndexRebuilds(
            runtime, lambda: build_embedder(settings, threads=settings.serving_embed_threads), shared.jobs
        ),
        evals=EvalRuns(runtime, settings.data_dir / "eval-runs", load_eval_job, shared.jobs),
        limits=limits,
        # Read when first asked for: chat works without a quiz bank; placement answers 503 until there is one.
        load_learners=lambda: build_learner_service(settings, store, runtime.lessons, given.bank),
        speaker=build_speaker(settings),
        speech_cache=SpeechCache(settings.speech_cache_dir),
    )
