"""Imports run one way: import-linter's contracts (pyproject.toml, [tool.importlinter]) hold for the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the `tutor` package under `root`, with the project's contracts; no cache left behind."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_import_contract_is_kept() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wrong_way_import_breaks_the_contract_and_is_named(tmp_path: Path) -> None:
    # The contracts must bite: operations importing the eval harness, and the core importing an adapter.
    shutil.copytree(ROOT / "tutor", tmp_path / "tutor", ignore=shutil.ignore_patterns("__pycache__"))
    jobs = tmp_path / "tutor" / "ops" / "jobs.py"
    jobs.write_text(jobs.read_text(encoding="utf-8") + "\nimport tutor.evals.run  # noqa\n", encoding="utf-8")
    text = tmp_path / "tutor" / "corpus" / "load.py"
    text.write_text(text.read_text(encoding="utf-8") + "\nimport tutor.index.bm25  # noqa\n", encoding="utf-8")
    done = _lint_imports(tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "tutor.ops.jobs -> tutor.evals.run" in output
    assert "tutor.corpus.load -> tutor.index.bm25" in output
