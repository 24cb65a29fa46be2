"""The composition root, the only place concrete classes are chosen: settings in, ready services out.

Three modules: `answering` (embedder, chat model, retriever, gate, Tutor), `learners` (the learner store and its use
cases) and `serving` (what a service's workers share, its swappable Tutor, the API's services). Every builder imports
its classes when called: the command line imports the wiring for the learner store alone, and must not pay for FAISS,
BM25 and the answer pipeline to list tokens.
"""

from tutor.wiring.answering import (
    Progress,
    build_chat_model,
    build_embedder,
    build_endpoint_pool,
    build_gate,
    build_judge_model,
    build_library,
    build_retriever,
    build_tutor,
    check_llm_name,
    composer_dense,
    prepare_model,
    refresh_tutor,
    retriever_over,
)
from tutor.wiring.learners import (
    build_accounts,
    build_bank_versions,
    build_chat_sessions,
    build_feedback,
    build_learner_service,
    build_learner_store,
    load_written_bank,
    open_accounts,
    open_learner_store,
)
from tutor.wiring.serving import (
    Prebuilt,
    SharedState,
    TutorFromSettings,
    build_runtime,
    build_shared_state,
    build_speaker,
    check_workers,
    load_eval_job,
)

__all__ = [
    "Prebuilt",
    "Progress",
    "SharedState",
    "TutorFromSettings",
    "build_accounts",
    "build_bank_versions",
    "build_chat_model",
    "build_chat_sessions",
    "build_embedder",
    "build_endpoint_pool",
    "build_feedback",
    "build_gate",
    "build_judge_model",
    "build_learner_service",
    "build_learner_store",
    "build_library",
    "build_retriever",
    "build_runtime",
    "build_shared_state",
    "build_speaker",
    "build_tutor",
    "check_llm_name",
    "check_workers",
    "load_eval_job",
    "composer_dense",
    "load_written_bank",
    "open_accounts",
    "open_learner_store",
    "prepare_model",
    "refresh_tutor",
    "retriever_over",
]
