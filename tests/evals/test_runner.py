"""Running gold items through Tutor.stream: records, resume without duplicates, crashes recorded, subsets."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.support.gold import gold_item
from tutor.answering.tutor import Tutor
from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.evals.dataset import DatasetError, GoldItem, load_gold
from tutor.evals.records import ITEMS_FILE, RunError, read_manifest, read_records
from tutor.evals.run import collect
from tutor.evals.runner import run_item, select_items
from tutor.types import Message
from tutor.wiring import build_tutor

from .conftest import GOLD, write_gold


class InterruptingModel:
    """Answers normally, then behaves like Ctrl-C on the call after `calls_before_interrupt`."""

    id = "interrupting"

    def __init__(self, calls_before_interrupt: int) -> None:
        self.left = calls_before_interrupt
        self.calls = 0

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        self.calls += 1
        if self.calls > self.left:
            raise KeyboardInterrupt
        yield "Không đọc mã OTP cho ai, kể cả người xưng là công an [1]."


class CrashingModel:
    """A bug inside the pipeline (not an LLM outage): raises on the questions that mention Wi-Fi."""

    @property
    def id(self) -> str:
        return "crashing"

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        if "wifi" in messages[-1].content.lower():
            raise RuntimeError("boom")
        yield "Không đọc mã OTP cho ai [1]."


def _ids(run_dir: Path) -> list[str]:
    lines = (run_dir / ITEMS_FILE).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["id"] for line in lines if line.strip()]


def test_a_run_records_answer_citations_retrieval_and_timings(
    extractive_tutor: Tutor, built_settings: Settings, gold_file: Path, tmp_path: Path
):
    run_dir = tmp_path / "run"
    manifest = collect(built_settings, extractive_tutor, dataset=gold_file, run_dir=run_dir, embedder_id="hash:256")
    assert manifest.completed == len(GOLD) and manifest.errors == 0 and manifest.finished_at
    assert manifest.llm == "composed" and manifest.options["k"] == extractive_tutor.k
    assert len(manifest.dataset_sha256) == 64 and manifest.index and manifest.index["embedder"] == "hash:256"
    records, problems = read_records(run_dir / ITEMS_FILE)
    assert not problems
    rec = next(r for r in records if r.id == "T-001")
    assert rec.answer and "OTP" in rec.answer
    assert rec.citations and {c.chunk_id for c in rec.citations} <= {p.chunk_id for p in rec.retrieved}
    k = extractive_tutor.k
    assert len(rec.retrieved) >= k and len(rec.ranking) >= k
    # The deeper ranking starts with exactly the passages retrieval gave the answer.
    assert [r.chunk_id for r in rec.ranking[:k]] == [p.chunk_id for p in rec.retrieved[:k]]
    # Any passage beyond them is a sibling section of a retrieved lesson that the composed answer cites.
    cited = {c.chunk_id for c in rec.citations}
    assert all(p.chunk_id in cited and p.score == 0.0 for p in rec.retrieved[k:])
    assert rec.ttft_s is not None and rec.total_s is not None and 0 < rec.ttft_s <= rec.total_s
    assert rec.level == "co-ban" and rec.group == "nguoi-dan" and rec.model == "composed"


def test_followup_items_pass_their_history_to_the_tutor(built_settings: Settings, hash_embedder: HashingEmbedder):
    from tutor.llm.scripted import ScriptedChatModel

    model = ScriptedChatModel("Không đọc mã OTP cho ai [1].")
    tutor = build_tutor(
        built_settings.model_copy(update={"answer_mode": "generated"}), embedder=hash_embedder, chat_model=model
    )
    item = GoldItem.model_validate(next(g for g in GOLD if g["id"] == "T-005"))
    run_item(tutor, item)
    sent = model.calls[-1]
    assert [m.content for m in sent[1:3]] == ["có người gọi đòi mã OTP", "Không đọc mã OTP cho ai."]


def test_interrupted_run_resumes_without_duplicating_items(
    built_settings: Settings, hash_embedder: HashingEmbedder, gold_file: Path, tmp_path: Path
):
    run_dir = tmp_path / "run"
    # Out-of-scope items are answered too (retrieval always finds something), so every item calls the model.
    tutor = build_tutor(
        built_settings.model_copy(update={"answer_mode": "generated"}),
        embedder=hash_embedder,
        chat_model=InterruptingModel(2),
    )
    with pytest.raises(KeyboardInterrupt):
        collect(built_settings, tutor, dataset=gold_file, run_dir=run_dir, embedder_id=hash_embedder.id)
    assert _ids(run_dir) == ["T-001", "T-002"]
    assert read_manifest(run_dir).finished_at is None

    # Without --resume an existing run is never overwritten or appended to.
    with pytest.raises(RunError, match="--resume"):
        collect(built_settings, tutor, dataset=gold_file, run_dir=run_dir, embedder_id=hash_embedder.id)

    model = InterruptingModel(100)
    resumed_tutor = build_tutor(
        built_settings.model_copy(update={"answer_mode": "generated"}), embedder=hash_embedder, chat_model=model
    )
    manifest = collect(
        built_settings, resumed_tutor, dataset=gold_file, run_dir=run_dir, embedder_id=hash_embedder.id, resume=True
    )
    ids = _ids(run_dir)
    assert sorted(ids) == sorted(g["id"] for g in GOLD) and len(ids) == len(set(ids))
    assert model.calls == len(GOLD) - 2
    assert manifest.completed == len(GOLD) and manifest.finished_at and len(manifest.resumed_at) == 1


def test_limited_run_then_resume_without_limit_runs_only_the_rest(
    extractive_tutor: Tutor, built_settings: Settings, gold_file: Path, tmp_path: Path
):
    run_dir = tmp_path / "run"
    collect(built_settings, extractive_tutor, dataset=gold_file, run_dir=run_dir, embedder_id="hash:256", limit=3)
    first = _ids(run_dir)
    assert len(first) == 3
    collect(built_settings, extractive_tutor, dataset=gold_file, run_dir=run_dir, embedder_id="hash:256", resume=True)
    ids = _ids(run_dir)
    assert ids[:3] == first and len(ids) == len(GOLD) == len(set(ids))


def test_resume_refuses_a_changed_dataset(
    extractive_tutor: Tutor, built_settings: Settings, gold_file: Path, tmp_path: Path
):
    run_dir = tmp_path / "run"
    collect(built_settings, extractive_tutor, dataset=gold_file, run_dir=run_dir, embedder_id="hash:256", limit=2)
    changed = write_gold(tmp_path / "changed.jsonl", GOLD[:4])
    with pytest.raises(RunError, match="dataset_sha256"):
        collect(built_settings, extractive_tutor, dataset=changed, run_dir=run_dir, embedder_id="hash:256", resume=True)


def test_a_crashing_item_is_recorded_as_an_error_and_the_run_continues(
    built_settings: Settings, hash_embedder: HashingEmbedder, gold_file: Path, tmp_path: Path
):
    tutor = build_tutor(
        built_settings.model_copy(update={"answer_mode": "generated"}),
        embedder=hash_embedder,
        chat_model=CrashingModel(),
    )
    run_dir = tmp_path / "run"
    manifest = collect(built_settings, tutor, dataset=gold_file, run_dir=run_dir, embedder_id=hash_embedder.id)
    records = {r.id: r for r in read_records(run_dir / ITEMS_FILE)[0]}
    assert len(records) == len(GOLD)
    assert records["T-002"].error == "RuntimeError: boom" and records["T-002"].answer is None
    assert records["T-001"].error is None and records["T-001"].answer
    assert manifest.errors == sum(r.error is not None for r in records.values()) >= 1


def test_a_truncated_last_line_is_reported_and_the_item_runs_again(
    extractive_tutor: Tutor, built_settings: Settings, gold_file: Path, tmp_path: Path
):
    run_dir = tmp_path / "run"
    collect(built_settings, extractive_tutor, dataset=gold_file, run_dir=run_dir, embedder_id="hash:256", limit=2)
    with (run_dir / ITEMS_FILE).open("a", encoding="utf-8") as fh:
        fh.write('{"id": "T-003", "question": "cut')
    records, problems = read_records(run_dir / ITEMS_FILE)
    assert len(records) == 2 and len(problems) == 1 and ":3:" in problems[0]
    collect(built_settings, extractive_tutor, dataset=gold_file, run_dir=run_dir, embedder_id="hash:256", resume=True)
    records, problems = read_records(run_dir / ITEMS_FILE)
    assert not problems  # the fragment was cut, not glued to the next record
    assert sorted(r.id for r in records) == sorted(g["id"] for g in GOLD)


def test_malformed_dataset_line_is_reported_with_its_line_number(
    extractive_tutor: Tutor, built_settings: Settings, tmp_path: Path
):
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps(g, ensure_ascii=False) for g in GOLD[:2]] + ['{"id": "X", "question": ']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"bad\.jsonl:3: JSON"):
        collect(built_settings, extractive_tutor, dataset=path, run_dir=tmp_path / "run", embedder_id="hash:256")
    assert not (tmp_path / "run").exists()


def test_duplicate_ids_are_refused(tmp_path: Path):
    path = write_gold(tmp_path / "dup.jsonl", [gold_item("T-001"), gold_item("T-002"), gold_item("T-001")])
    with pytest.raises(DatasetError, match=r"dup\.jsonl:3: id 'T-001' trùng với dòng 1"):
        load_gold(path)


def test_stratified_subset_is_deterministic_and_keeps_every_type():
    items = [GoldItem.model_validate(g) for g in GOLD]
    many = [
        GoldItem.model_validate({**g, "id": f"{g['id']}-{i}"}) for i in range(10) for g in GOLD
    ]  # 60 items, 5 types
    subset = select_items(many, 12)
    assert len(subset) == 12 and subset == select_items(many, 12)
    assert {it.type for it in subset} == {it.type for it in many}
    assert [many.index(it) for it in subset] == sorted(many.index(it) for it in subset)
    assert select_items(items, None) == items and select_items(items, 100) == items
