"""`tutor eval run | report | compare` through the real CLI, on the fixture corpus with the hashing embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tutor.cli import app
from tutor.config import Settings
from tutor.evals.run import score_run
from tutor.testing.ollama_wire import OllamaWireServer, WireState

from .conftest import GOLD

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def _ok(result: Result) -> None:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_run_writes_records_manifest_summaries_and_report(built_env: Settings, gold_file: Path, tmp_path: Path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["eval", "run", "--dataset", str(gold_file), "--out", str(out)])
    _ok(result)
    assert "| Pass rate (old rule) |" in result.stdout and "| Focused pass rate" in result.stdout
    for name in ("items.jsonl", "manifest.json", "summary.json", "summary.md", "report.html", "prompts/answer.j2"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["llm"] == "composed" and manifest["embedder"] == "hash:256" and manifest["completed"] == len(GOLD)
    _ok(runner.invoke(app, ["eval", "report", str(out)]))
    again = runner.invoke(app, ["eval", "run", "--dataset", str(gold_file), "--out", str(out)])
    assert again.exit_code == 2 and "--resume" in again.output


def test_limit_then_resume_through_the_cli(built_env: Settings, gold_file: Path, tmp_path: Path):
    out = tmp_path / "run"
    _ok(
        runner.invoke(
            app, ["eval", "run", "--dataset", str(gold_file), "--out", str(out), "--limit", "2", "--no-report"]
        )
    )
    assert len((out / "items.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    _ok(runner.invoke(app, ["eval", "run", "--dataset", str(gold_file), "--out", str(out), "--resume"]))
    ids = [json.loads(line)["id"] for line in (out / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == sorted(g["id"] for g in GOLD)


def test_fake_ollama_run_goes_through_the_ollama_backend_over_http(
    built_env: Settings, gold_file: Path, tmp_path: Path
):
    out = tmp_path / "run"
    _ok(runner.invoke(app, ["eval", "run", "--dataset", str(gold_file), "--out", str(out), "--fake-ollama"]))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["llm"] == "ollama:qwen2.5:7b-instruct" and manifest["options"]["backend"] == "ollama"
    records = [json.loads(line) for line in (out / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(r["model"].startswith("ollama:") for r in records)
    assert all(r["ttft_s"] <= r["total_s"] for r in records)


def test_malformed_dataset_exits_2_naming_the_line(built_env: Settings, tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(GOLD[0], ensure_ascii=False) + "\n" + '{"id": "X"}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", "run", "--dataset", str(bad), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "bad.jsonl:2:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "run").exists()


def test_report_with_judge_records_verdicts_and_failure_rate(built_env: Settings, gold_file: Path, tmp_path: Path):
    out = tmp_path / "run"
    _ok(runner.invoke(app, ["eval", "run", "--dataset", str(gold_file), "--out", str(out), "--no-report"]))
    reply = '{"correct": 1, "grounded": 2, "level_fit": 2, "safe": 1, "reason": "Thiếu một ý."}'
    with OllamaWireServer(WireState(models=["judge:1"], reply=reply)) as srv:
        args = ["eval", "report", str(out), "--judge", "--judge-host", srv.url, "--judge-model", "judge:1"]
        _ok(runner.invoke(app, args))
        assert len(srv.state.requests) == len(GOLD)
        _ok(runner.invoke(app, args))  # all from the cache now
        assert len(srv.state.requests) == len(GOLD)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["judge"]["judged"] == len(GOLD) and summary["judge"]["failure_rate"] == 0.0
    assert summary["judge"]["cached"] == len(GOLD) and summary["judge"]["correct"]["mean"] == 1.0


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the shared real_index fixture embeds the whole corpus first
def test_real_embedder_on_the_real_gold_set_finds_most_gold_lessons(
    real_index: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TUTOR_DATA_DIR", str(real_index.data_dir))
    monkeypatch.setenv("TUTOR_LLM", "extractive")
    out = tmp_path / "run"
    dataset = ROOT / "eval" / "datasets" / "gold_vi.jsonl"
    _ok(
        runner.invoke(
            app, ["eval", "run", "--dataset", str(dataset), "--out", str(out), "--limit", "30", "--no-report"]
        )
    )
    # Scored without the embedder: retrieval and coverage need no embeddings, and that keeps the test quick.
    summary, _ = score_run(out, real_index)
    assert summary["counts"]["scored"] == 30 and summary["counts"]["errors"] == 0
    assert summary["overall"]["hit5_lesson"]["mean"] >= 0.8
