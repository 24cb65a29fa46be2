"""Run gold items through Tutor.stream (the service's own code path), appending one record per item."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.answering.followup import retrieval_query
from tutor.answering.tutor import Tutor
from tutor.evals.dataset import GoldItem
from tutor.evals.records import (
    ITEMS_FILE,
    MANIFEST_FILE,
    CitationRef,
    ItemRecord,
    Passage,
    Ranked,
    RunError,
    RunManifest,
    append_record,
    drop_partial_tail,
    read_manifest,
    read_records,
    write_manifest,
)
from tutor.types import Answer, Message

#: Depth of the extra retrieval ranking scored by hit@k/MRR/nDCG. The answer itself sees only
#: `Tutor.k` passages (4 by default), so hit@5 needs a deeper look at the same ranking.
RANKING_DEPTH = 10

Progress = Callable[[int, int], None]


def select_items(items: Sequence[GoldItem], limit: int | None) -> list[GoldItem]:
    """A deterministic subset of `limit` items stratified by type, spread evenly within each type.

    Quotas are proportional (largest remainder) with at least one item per type when the limit
    allows, so a 60-item subset of the gold set still holds out-of-scope and follow-up questions.
    The subset keeps dataset order; the same limit always picks the same items, which is what
    lets a limited run be resumed.
    """
    if limit is None or limit >= len(items):
        return list(items)
    if limit <= 0:
        return []
    strata: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        strata.setdefault(item.type.value, []).append(i)
    n = len(items)
    exact = {t: limit * len(ix) / n for t, ix in strata.items()}
    quota = {t: int(v) for t, v in exact.items()}
    if limit >= len(strata):
        for t in quota:
            quota[t] = max(quota[t], 1)
    # Hand out what is left by largest remainder; take back from the largest strata if the minimums overshot.
    by_remainder = sorted(strata, key=lambda t: (-(exact[t] - int(exact[t])), t))
    while sum(quota.values()) < limit:
        for t in by_remainder:
            if sum(quota.values()) < limit and quota[t] < len(strata[t]):
                quota[t] += 1
    while sum(quota.values()) > limit:
        biggest = max(quota, key=lambda t: (quota[t], t))
        quota[biggest] -= 1
    chosen: set[int] = set()
    for t, ix in strata.items():
        q = quota[t]
        chosen.update(ix[int(j * len(ix) / q)] for j in range(q))
    return [items[i] for i in sorted(chosen)]


def _history(item: GoldItem) -> list[Message]:
    return [Message(turn.role, turn.content) for turn in item.history]


def _base(item: GoldItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "question": item.question,
        "level": item.level.value,
        "group": item.group.value,
        "type": item.type.value,
    }


def _passages(answer: Answer) -> list[Passage]:
    return [Passage(**h.chunk.source_fields(), score=h.score, text=h.chunk.text) for h in answer.hits]


def run_item(tutor: Tutor, item: GoldItem, depth: int = RANKING_DEPTH) -> ItemRecord:
    """One item through `Tutor.stream`; any Exception becomes a recorded error instead of ending the run."""
    history = _history(item)
    t0 = time.perf_counter()
    first: float | None = None
    answer: Answer | None = None
    try:
        for event in tutor.stream(item.question, item.level, item.group, history):
            # Time to first token is what the learner waits for: the first streamed piece, or the
            # whole answer when nothing streams (extractive, refusal, degraded before any token).
            if first is None:
                first = time.perf_counter() - t0
            if isinstance(event, Answer):
                answer = event
        total = time.perf_counter() - t0
        if answer is None:
            raise RuntimeError("Tutor.stream kết thúc mà không có câu trả lời")
        # The same search and query rewrite as the answer, only deeper.
        query = retrieval_query(tutor.validate(item.question), history)
        ranking = tutor.search(query, max(depth, tutor.k), level=item.level.value, group=item.group.value)
    except Exception as exc:  # noqa: BLE001 - a crashed item is data, the run goes on
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return ItemRecord(**_base(item), error=tb, total_s=time.perf_counter() - t0)
    return ItemRecord(
        **_base(item),
        answer=answer.text,
        citations=[
            CitationRef(n=c.n, chunk_id=c.chunk_id, lesson_id=c.lesson_id, section_id=c.section_id)
            for c in answer.citations
        ],
        retrieved=_passages(answer),
        ranking=[
            Ranked(chunk_id=h.chunk.id, lesson_id=h.chunk.lesson_id, section_id=h.chunk.section_id) for h in ranking
        ],
        degraded=answer.degraded,
        notice=answer.notice,
        model=answer.model,
        ttft_s=first,
        total_s=total,
        tutor_timings={k: float(v) for k, v in answer.timings.items()},
    )


@dataclass(frozen=True)
class RunState:
    """An opened run directory: its manifest and the ids already recorded there."""

    run_dir: Path
    manifest: RunManifest
    done: frozenset[str]

    @property
    def items_path(self) -> Path:
        return self.run_dir / ITEMS_FILE


def open_run(run_dir: Path, manifest: RunManifest, *, resume: bool) -> RunState:
    """Create a run directory, or reopen one to resume; refuse to mix runs of different inputs."""
    exists = (run_dir / MANIFEST_FILE).is_file() or (run_dir / ITEMS_FILE).is_file()
    if exists and not resume:
        raise RunError(f"Thư mục {run_dir} đã có kết quả. Thêm --resume để chạy tiếp, hoặc chọn --out khác.")
    run_dir.mkdir(parents=True, exist_ok=True)
    if not exists:
        write_manifest(run_dir, manifest)
        return RunState(run_dir, manifest, frozenset())
    old = read_manifest(run_dir) if (run_dir / MANIFEST_FILE).is_file() else manifest
    for field in ("dataset_sha256", "llm", "embedder"):
        if getattr(old, field) != getattr(manifest, field):
            raise RunError(
                f"Không thể chạy tiếp {run_dir}: {field} khác lần chạy cũ "
                f"({getattr(old, field)} ≠ {getattr(manifest, field)}). Chọn --out khác."
            )
    drop_partial_tail(run_dir / ITEMS_FILE)
    records, _ = read_records(run_dir / ITEMS_FILE)
    resumed = old.model_copy(
        update={
            "resumed_at": [*old.resumed_at, manifest.started_at],
            "finished_at": None,
            "selected": manifest.selected,
            "limit": manifest.limit,
        }
    )
    write_manifest(run_dir, resumed)
    return RunState(run_dir, resumed, frozenset(r.id for r in records))


def run_items(
    tutor: Tutor,
    items: Sequence[GoldItem],
    state: RunState,
    progress: Progress | None = None,
    depth: int = RANKING_DEPTH,
) -> int:
    """Run every item not yet recorded, appending as it goes; returns how many were run now."""
    todo = [it for it in items if it.id not in state.done]
    total = len(items)
    done = total - len(todo)
    if progress:
        progress(done, total)
    for item in todo:
        append_record(state.items_path, run_item(tutor, item, depth))
        done += 1
        if progress:
            progress(done, total)
    return len(todo)


def finish_run(state: RunState, *, wall_s: float, finished_at: str | None) -> RunManifest:
    records, _ = read_records(state.items_path)
    manifest = state.manifest.model_copy(
        update={
            "finished_at": finished_at,
            "wall_s": state.manifest.wall_s + wall_s,
            "completed": len(records),
            "errors": sum(r.error is not None for r in records),
        }
    )
    write_manifest(state.run_dir, manifest)
    return manifest
