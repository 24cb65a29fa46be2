"""Scoring a run end to end and the reports it writes: summary.json, summary.md, a self-contained HTML page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tutor.answering.tutor import Tutor
from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.evals.records import ITEMS_FILE, RunError, read_records, write_records
from tutor.evals.run import collect, score_run

from .conftest import GOLD, write_gold

SCRIPT = '<script>alert("xss")</script><img src="http://evil.example/x.png">'


@pytest.fixture
def run_dir(extractive_tutor: Tutor, built_settings: Settings, gold_file: Path, tmp_path: Path) -> Path:
    run_dir = tmp_path / "run"
    collect(built_settings, extractive_tutor, dataset=gold_file, run_dir=run_dir, embedder_id="hash:256")
    return run_dir


def _poison(run_dir: Path, item_id: str) -> None:
    """Put hostile markup into one answer, as a prompt-injected model might."""
    records, _ = read_records(run_dir / ITEMS_FILE)
    write_records(
        run_dir / ITEMS_FILE,
        [r.model_copy(update={"answer": f"{r.answer}\n{SCRIPT}"}) if r.id == item_id else r for r in records],
    )


def test_scoring_writes_metrics_into_every_record_and_a_summary_with_cis(
    run_dir: Path, built_settings: Settings, hash_embedder: HashingEmbedder
):
    summary, md = score_run(run_dir, built_settings, embedder=hash_embedder)
    records, _ = read_records(run_dir / ITEMS_FILE)
    assert len(records) == len(GOLD) and all(r.metrics is not None for r in records)
    on_disk = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(summary))
    pass_rate = on_disk["overall"]["pass_rate"]
    assert pass_rate["low"] <= pass_rate["mean"] <= pass_rate["high"] and pass_rate["n"] == len(GOLD)
    assert on_disk["counts"]["passed"] == sum(r.metrics["passed"] for r in records if r.metrics)
    assert on_disk["overall"]["hit5_section"]["n"] == sum(g["answerable"] for g in GOLD)
    assert set(on_disk["slices"]) == {"type", "level", "group", "topic", "safety_critical"}
    assert on_disk["slices"]["type"]["out_of_scope"]["n"] == 1
    assert on_disk["overall"]["grounded_embedding"] is not None  # the run's own embedder was given
    # Retrieval always finds something, so the extractive tutor answers the out-of-scope question: a failure.
    assert on_disk["fail_reasons"].get("not-refused") == 1
    assert "| Pass rate (old rule) |" in md and (run_dir / "summary.md").read_text(encoding="utf-8") == md


def test_another_embedder_leaves_embedding_groundedness_out(run_dir: Path, built_settings: Settings):
    summary, _ = score_run(run_dir, built_settings, embedder=HashingEmbedder(dim=64))
    assert summary["overall"]["grounded_embedding"] is None
    assert summary["thresholds"]["embed_support_cosine"] is None


def test_html_report_is_self_contained_and_escapes_untrusted_text(
    run_dir: Path, built_settings: Settings, hash_embedder: HashingEmbedder
):
    _poison(run_dir, "T-004")
    score_run(run_dir, built_settings, embedder=hash_embedder)
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert re.search(r'<img [^>]*src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', html)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html
    # Nothing is fetched from elsewhere: no external stylesheet, script, image or font.
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html)
    assert "<link" not in html and "@import" not in html
    assert "T-004" in html  # the failing item is among the worst, with its passages


def test_scoring_refuses_a_dataset_that_changed_since_the_run(run_dir: Path, built_settings: Settings, gold_file: Path):
    write_gold(gold_file, GOLD[:3])
    with pytest.raises(RunError, match="sha256"):
        score_run(run_dir, built_settings)
