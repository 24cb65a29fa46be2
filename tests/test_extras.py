"""Lean installs: a part whose optional extra is missing says which extra to install, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

from tutor.errors import MissingExtraError
from tutor.ops.jobs import EvalRuns, EvalUnavailableError
from tutor.wiring import load_eval_job

ROOT = Path(__file__).resolve().parent.parent


def _without(packages: list[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter where importing any of `packages` fails, as if it were not installed."""
    block = "import sys\n" + "".join(f"sys.modules[{p!r}] = None\n" for p in packages)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TUTOR_LANG": "vi"}
    return subprocess.run(
        [sys.executable, "-c", block + code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_an_eval_command_without_the_eval_extra_names_it_and_exits_cleanly(tmp_path: Path) -> None:
    code = f"from tutor.cli import app\napp(['eval', 'compare', {str(tmp_path / 'a')!r}, {str(tmp_path / 'b')!r}])\n"
    done = _without(["scipy"], code)
    output = done.stdout + done.stderr
    assert done.returncode == MissingExtraError.exit_code, output
    assert "tutor[eval]" in output and "scipy" in output
    assert "Traceback" not in output


def test_the_langchain_adapter_without_its_extra_names_it() -> None:
    done = _without(["langchain_core"], "import tutor.index.langchain\n")
    assert done.returncode != 0
    assert "MissingExtraError" in done.stderr and "tutor[langchain]" in done.stderr


def test_the_service_answers_503_naming_the_eval_extra_when_the_harness_cannot_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real loader, with the harness's statistics package missing: every tutor.evals module is imported afresh.
    for name in [m for m in sys.modules if m.startswith("tutor.evals")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "scipy", None)
    runs = EvalRuns(cast(Any, None), Path("unused"), load_eval_job)
    with pytest.raises(EvalUnavailableError) as caught:
        runs.available()
    assert caught.value.http_status == 503 and "tutor[eval]" in str(caught.value)


def test_a_build_without_the_harness_is_told_so() -> None:
    with pytest.raises(EvalUnavailableError, match="tutor eval run"):
        EvalRuns(cast(Any, None), Path("unused"), None).available()
