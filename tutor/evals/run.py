"""One evaluation run end to end: provenance manifest, resume, collection through the Tutor, then scoring."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.answering.prompts import Prompts
from tutor.answering.tutor import Tutor
from tutor.config import Settings
from tutor.corpus.load import corpus_hash, lesson_files, load_lessons
from tutor.errors import TutorError
from tutor.evals.dataset import load_gold
from tutor.evals.html import render_html
from tutor.evals.judge import Judge, JudgeResult, judge_summary
from tutor.evals.metrics import common_syllables
from tutor.evals.records import ITEMS_FILE, ItemRecord, RunError, RunManifest, load_run, write_records
from tutor.evals.report import REPORT_HTML, build_summary, write_summary
from tutor.evals.runner import RANKING_DEPTH, RunState, finish_run, open_run, run_items, select_items
from tutor.evals.scoring import EMBED_SUPPORT_THRESHOLD, EmbeddingGrounding, ItemMetrics, Scorer, VectorCache
from tutor.protocols import Embedder

Progress = Callable[[int, int], None]
#: "Rare" syllables are those outside the corpus's most frequent N. The 64-lesson corpus has about
#: 1,500 distinct syllables; its top 500 cover 90% of its running text.
COMMON_TOP_N = 500


# --- provenance: where a run's inputs came from --------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def git_commit(cwd: Path) -> str | None:
    """HEAD of the checkout, or None when git or the repository is absent: provenance must never fail a run."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def corpus_info(lessons_dir: Path) -> dict[str, Any]:
    try:
        files = lesson_files(lessons_dir)
    except TutorError:
        return {"lessons_dir": str(lessons_dir), "lessons": 0, "hash": None}
    return {"lessons_dir": str(lessons_dir), "lessons": len(files), "hash": corpus_hash(files)}


def index_info(index_dir: Path) -> dict[str, Any] | None:
    """The index manifest as written by `tutor index build`, plus the version directory it points at."""
    path = index_dir / "current" / "manifest.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    data["version_dir"] = (index_dir / "current").resolve().name
    return data


def prompts_info(prompts_dir: Path) -> dict[str, Any]:
    if not prompts_dir.is_dir():
        return {"dir": str(prompts_dir), "sha256": None}
    # The judge rubric lives beside the answer prompts but does not change what the tutor says.
    h = hashlib.sha256()
    for p in sorted(q for q in prompts_dir.glob("**/*.j2") if q.is_file() and not q.name.startswith("judge")):
        h.update(str(p.relative_to(prompts_dir)).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return {"dir": str(prompts_dir), "sha256": h.hexdigest()}


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def default_run_name(llm: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{llm}"


def snapshot_prompts(settings: Settings, run_dir: Path) -> Settings:
    """Copy the prompt templates into the run and use the copy.

    Templates are read lazily, so an edit made while a long run is going would otherwise change
    the prompts half-way through; the copy also lets anyone see exactly what the model was asked.
    A resumed run keeps using the copy it started with.
    """
    snap = run_dir / "prompts"
    if not snap.is_dir():
        run_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(settings.prompts_dir, snap, ignore=shutil.ignore_patterns("judge*.j2"))
    return settings.model_copy(update={"prompts_dir": snap})


def new_manifest(
    settings: Settings,
    tutor: Tutor,
    *,
    dataset: Path,
    dataset_items: int,
    selected: int,
    limit: int | None,
    embedder_id: str,
    name: str,
) -> RunManifest:
    # What wrote the answers: the model when it writes them, else how they were made from the lessons.
    llm = tutor.chat_model.id if tutor.chat_model is not None and tutor.mode.uses_llm else tutor.mode.value
    return RunManifest(
        name=name,
        dataset=str(dataset),
        dataset_sha256=sha256_file(dataset),
        dataset_items=dataset_items,
        selected=selected,
        limit=limit,
        git_commit=git_commit(Path(__file__).resolve().parent),
        corpus=corpus_info(settings.lessons_dir),
        index=index_info(settings.index_dir),
        prompts=prompts_info(settings.prompts_dir),
        embedder=embedder_id,
        llm=llm,
        options={
            "backend": settings.llm,
            "answer_mode": tutor.mode.value,
            "k": tutor.k,
            "max_tokens": tutor.max_tokens,
            "temperature": tutor.temperature,
            "ranking_depth": RANKING_DEPTH,
            "llm_threads": settings.llm_threads,
            "llm_ctx": settings.llm_ctx,
            "ollama_host": settings.ollama_host if settings.llm == "ollama" else None,
        },
        started_at=now_iso(),
    )


def collect(
    settings: Settings,
    tutor: Tutor,
    *,
    dataset: Path,
    run_dir: Path,
    embedder_id: str,
    limit: int | None = None,
    resume: bool = False,
    progress: Progress | None = None,
) -> RunManifest:
    """Run the (possibly limited) gold set into `run_dir`; a malformed dataset is refused before anything runs."""
    gold = load_gold(dataset)
    items = select_items(gold, limit)
    manifest = new_manifest(
        settings,
        tutor,
        dataset=dataset,
        dataset_items=len(gold),
        selected=len(items),
        limit=limit,
        embedder_id=embedder_id,
        name=run_dir.name,
    )
    state: RunState = open_run(run_dir, manifest, resume=resume)
    t0 = time.perf_counter()
    try:
        run_items(tutor, items, state, progress)
    except BaseException:
        # Even on Ctrl-C the manifest says how far the run got; no finish time marks it unfinished.
        finish_run(state, wall_s=time.perf_counter() - t0, finished_at=None)
        raise
    return finish_run(state, wall_s=time.perf_counter() - t0, finished_at=now_iso())


def _lessons_dir(manifest: RunManifest, settings: Settings) -> Path:
    recorded = Path(str(manifest.corpus.get("lessons_dir", "")))
    return recorded if recorded.is_dir() else settings.lessons_dir


def score_run(
    run_dir: Path,
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    judge: Judge | None = None,
    dataset: Path | None = None,
    common_top_n: int = COMMON_TOP_N,
    embed_threshold: float = EMBED_SUPPORT_THRESHOLD,
    passage_cache: VectorCache | None = None,
    sentence_cache: VectorCache | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], str]:
    """Score every record, optionally judge it, rewrite items.jsonl with metrics, and write the reports.

    Embedding groundedness needs the run's own embedder; with another one (or none) it is left out.
    Verdicts from an earlier judged scoring are kept when no judge is given now.
    """
    manifest, records = load_run(run_dir)
    ds = dataset or Path(manifest.dataset)
    if not ds.is_file() or sha256_file(ds) != manifest.dataset_sha256:
        raise RunError(f"Tập dữ liệu {ds} không còn khớp sha256 ghi trong {run_dir}/manifest.json.")
    gold = {item.id: item for item in load_gold(ds)}
    unknown = [r.id for r in records if r.id not in gold]
    if unknown:
        raise RunError(f"{len(unknown)} bản ghi không có trong tập dữ liệu (ví dụ {unknown[0]}).")
    lessons = load_lessons(_lessons_dir(manifest, settings))
    prompts_dir = run_dir / "prompts" if (run_dir / "prompts" / "refusal.j2").is_file() else settings.prompts_dir
    use_embedder = embedder if embedder is not None and embedder.id == manifest.embedder else None
    scorer = Scorer(
        gold,
        refusal_text=Prompts(prompts_dir).refusal(),
        lesson_domains={lesson.id: lesson.domain for lesson in lessons},
        common=common_syllables([s.text for lesson in lessons for s in lesson.sections], common_top_n),
        grounding=(
            EmbeddingGrounding(
                use_embedder, embed_threshold, passage_cache=passage_cache, sentence_cache=sentence_cache
            )
            if use_embedder
            else None
        ),
    )
    scored: list[ItemRecord] = []
    metrics: list[ItemMetrics] = []
    verdicts: list[JudgeResult | None] = []
    for i, rec in enumerate(records):
        m = scorer.score(rec)
        verdict: JudgeResult | None = None
        if judge is not None and not m.error:
            verdict = judge.judge(gold[rec.id], rec)
        elif rec.judge is not None:
            verdict = JudgeResult(**rec.judge)
        metrics.append(m)
        verdicts.append(verdict)
        scored.append(rec.model_copy(update={"metrics": m.to_dict(), "judge": verdict.to_dict() if verdict else None}))
        if progress:
            progress(i + 1, len(records))
    write_records(run_dir / ITEMS_FILE, scored)
    judged = judge_summary(verdicts) if any(v is not None for v in verdicts) else None
    summary = build_summary(
        manifest,
        metrics,
        judge=judged,
        common_top_n=common_top_n,
        embed_threshold=embed_threshold if use_embedder else None,
    )
    md = write_summary(run_dir, summary)
    (run_dir / REPORT_HTML).write_text(render_html(summary, scored, metrics, gold), encoding="utf-8")
    return summary, md


def run_and_score(
    settings: Settings,
    tutor: Tutor,
    embedder: Embedder,
    *,
    dataset: Path,
    runs_dir: Path,
    limit: int | None,
    progress: Progress,
) -> dict[str, Any]:
    """`tutor eval run` for the service (an operator's POST /api/admin/evals): a new run under `runs_dir`, scored.

    The serving side is handed this function by the composition root; it never imports the harness itself.
    """
    run_dir = runs_dir / default_run_name(settings.llm)
    manifest = collect(
        settings, tutor, dataset=dataset, run_dir=run_dir, embedder_id=embedder.id, limit=limit, progress=progress
    )
    _, markdown = score_run(run_dir, settings, embedder=embedder, dataset=dataset)
    return {
        "run_dir": str(run_dir),
        "completed": manifest.completed,
        "errors": manifest.errors,
        "report": str(run_dir / REPORT_HTML),
        "summary_md": markdown,
    }
