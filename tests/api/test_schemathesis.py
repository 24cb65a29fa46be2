"""Property-based API testing with schemathesis: requests generated from the OpenAPI schema never get a 5xx.

Every operation in /openapi.json gets generated requests (valid and invalid bodies, queries and path ids), each sent
anonymously or with a learner, trainer or operator token, and, half of the time, with the path ids replaced by ids
that exist (the learner's own profile, session, placement and final test), so the checks reach past the 404s. The
app is the real one over the shipped corpus, with the hashing embedder and a scripted LLM, called in-process (ASGI).
Rate limits are set too high to refuse anything here: their 429s are tested in test_limits.py.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.api.conftest import REPLY, RealParts
from tutor.api.deps import Services
from tutor.llm.scripted import ScriptedChatModel

#: Examples per operation; 35 operations at 30 take under a minute. SCHEMATHESIS_EXAMPLES=300 hunts deeper by hand.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "30"))
CALLERS = ("anonymous", "learner", "trainer", "operator")


@dataclass
class World:
    app: FastAPI
    services: Services
    headers: dict[str, dict[str, str]]
    #: Path parameters that name something that exists, by parameter name.
    ids: dict[str, str]
    statuses: Counter[str] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def world(real_parts: RealParts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    # Eval runs the fuzzer starts score five gold questions, not all 310 (a 15 s wait at the end).
    (tmp / "datasets").mkdir()
    gold = (real_parts.settings.datasets_dir / "gold_vi.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp / "datasets" / "gold_vi.jsonl").write_text("".join(gold[:5]), encoding="utf-8")
    # A private copy of the index: POST /api/admin/index/rebuild really rebuilds it.
    shutil.copytree(real_parts.settings.index_dir, tmp / "data" / "index")
    app = real_parts.new_app(
        tmp / "learners.sqlite3",
        ScriptedChatModel(REPLY),
        real_parts.tutor.mode,
        data_dir=tmp / "data",
        cert_key_path=tmp / "cert.pem",
        datasets_dir=tmp / "datasets",
        # Counted (so odd Authorization headers go through the limiter) but never reached.
        rate_limit_chat="100000/minute",
        rate_limit_api="100000/minute",
    )
    services: Services = app.state.services
    tutor, store = services.runtime.tutor, services.store
    # The eval harness is imported on its first use; on a busy machine that import alone can pass the fuzzer's 10 s
    # read timeout (a timeout, not a 5xx), so it happens here, before any request is timed.
    services.evals.available()
    learners = services.learners()
    me = services.store.create_learner("nguoi-dan", True).id
    session = services.sessions.create(me).id
    services.sessions.add_exchange(me, session, tutor.answer("mã OTP"))
    ids = {
        "learner_id": me,
        "session_id": session,
        "placement_id": learners.start_placement(me).placement_id,
        "attempt_id": learners.start_final_test(me).attempt_id,
        "lesson_id": next(iter(real_parts.lessons)),
    }
    headers = {"anonymous": {}} | {
        role: {"Authorization": f"Bearer {services.tokens.create(role, me if role == 'learner' else None).secret}"}
        for role in CALLERS[1:]
    }
    world = World(app, services, headers, ids)
    yield world
    # Background jobs the run started (index rebuilds, eval runs) finish before their files are removed.
    services.rebuilds.job.wait(timeout=120)
    services.evals.job.wait(timeout=120)
    store.close()
    print(f"\nschemathesis responses by status: {dict(sorted(world.statuses.items()))}")


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(world: World, subtests: pytest.Subtests) -> None:
    # Hypothesis drives schemathesis's strategies directly: its pytest plugin (`schema.parametrize()` with
    # `from_fixture`) fails under pytest 9.2 ("'Function' object has no attribute '_nodeid'").
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    operations = [schema[path][method] for path in schema for method in schema[path]]
    assert len(operations) >= 30
    for operation in operations:
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
        )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same requests on every run and in CI
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases, caller=st.sampled_from(CALLERS), real_ids=st.booleans())
        def no_server_error(case: Any, caller: str, real_ids: bool) -> None:
            if real_ids and case.path_parameters:
                case.path_parameters = {k: world.ids.get(k, v) for k, v in case.path_parameters.items()}
            response = case.call_and_validate(headers=world.headers[caller], checks=[not_a_server_error])
            world.statuses[str(response.status_code)] += 1

        with subtests.test(msg=operation.label):
            no_server_error()
