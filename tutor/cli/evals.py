"""CLI for the offline evaluation harness: `tutor eval run`, `tutor eval report`, `tutor eval compare`."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from tutor.cli.common import bar, err, load_settings, out, run

if TYPE_CHECKING:
    from tutor.config import Settings
    from tutor.protocols import Embedder

eval_app = typer.Typer(help="Đánh giá ngoại tuyến trên tập câu hỏi vàng.", no_args_is_help=True)

DEFAULT_DATASET = Path("eval/datasets/gold_vi.jsonl")
RUNS_DIR = Path("eval/results/runs")


@contextmanager
def _term_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while a run goes, so `kill` still leaves a manifest that says how far it got.

    A job started with `nohup … &` ignores SIGINT, so SIGTERM is the way to stop it.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _with_overrides(
    settings: Settings, llm: str | None, ollama_host: str | None, ollama_model: str | None, answer: str | None = None
) -> Settings:
    update: dict[str, object] = {}
    if llm:
        update["llm"] = llm
        # Naming a model means evaluating it: it writes the answers unless --answer says otherwise.
        update["answer_mode"] = "composed" if llm == "extractive" else "generated"
    if answer:
        update["answer_mode"] = answer
    if ollama_host:
        update["ollama_host"] = ollama_host
    if ollama_model:
        update["ollama_model"] = ollama_model
    return settings.model_copy(update=update) if update else settings


@eval_app.command("run")
def eval_run(
    dataset: Annotated[Path, typer.Option("--dataset", help="Tập câu hỏi vàng (JSONL).")] = DEFAULT_DATASET,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Thư mục kết quả (mặc định eval/results/runs/<thời-điểm>-<llm>).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Chỉ chạy N câu, chọn phân tầng theo loại.")
    ] = None,
    llm: Annotated[
        str | None, typer.Option("--llm", help="extractive | llamacpp | ollama (mặc định TUTOR_LLM).")
    ] = None,
    answer: Annotated[
        str | None,
        typer.Option(
            "--answer",
            help="composed | quoted | generated (mặc định TUTOR_ANSWER_MODE; có --llm thì generated).",
        ),
    ] = None,
    ollama_host: Annotated[str | None, typer.Option("--ollama-host", help="Máy chủ Ollama.")] = None,
    ollama_model: Annotated[str | None, typer.Option("--ollama-model", help="Mô hình Ollama.")] = None,
    fake_ollama: Annotated[
        bool,
        typer.Option("--fake-ollama", help="Cho nhà phát triển: chạy Ollama giả lập trong tiến trình (tự kiểm tra)."),
    ] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Chạy tiếp, bỏ qua các câu đã có kết quả.")] = False,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Chấm điểm và viết báo cáo sau khi chạy.")
    ] = True,
    judge: Annotated[bool, typer.Option("--judge", help="Chấm thêm bằng LLM qua Ollama.")] = False,
    judge_host: Annotated[str | None, typer.Option("--judge-host", help="Máy chủ Ollama của giám khảo.")] = None,
    judge_model: Annotated[str | None, typer.Option("--judge-model", help="Mô hình giám khảo.")] = None,
) -> None:
    """Chạy toàn bộ quy trình trả lời trên từng câu hỏi vàng, ghi items.jsonl và manifest.json."""
    settings = _with_overrides(load_settings(), llm, ollama_host, ollama_model, answer)

    def body() -> None:
        from tutor.evals.dataset import load_gold
        from tutor.evals.run import collect, default_run_name, snapshot_prompts
        from tutor.wiring import build_embedder, build_tutor

        load_gold(dataset)  # a malformed dataset is refused before anything is created or loaded
        with ExitStack() as stack:
            s = settings
            if fake_ollama:
                from tutor.cli.dev import fake_ollama as start_fake

                s = stack.enter_context(start_fake(s))
                err.print(f"Máy chủ Ollama giả lập ở {s.ollama_host}")
            label = s.llm if s.answer_mode == "generated" else s.answer_mode
            run_dir = out_dir or RUNS_DIR / default_run_name(label + ("-fake" if fake_ollama else ""))
            s = snapshot_prompts(s, run_dir)
            embedder = build_embedder(s)
            tutor = build_tutor(s, embedder=embedder)
            with _term_as_interrupt(), bar("Đánh giá") as update:
                manifest = collect(
                    s,
                    tutor,
                    dataset=dataset,
                    run_dir=run_dir,
                    embedder_id=embedder.id,
                    limit=limit,
                    resume=resume,
                    progress=update,
                )
            err.print(f"Đã ghi {manifest.completed} câu ({manifest.errors} lỗi) vào {run_dir}.")
            if report:
                # The original settings: the run's prompt snapshot leaves out the judge's rubric.
                _report(
                    settings, run_dir, dataset, embedder, judge=judge, judge_host=judge_host, judge_model=judge_model
                )

    run(body)


def _report(
    settings: Settings,
    run_dir: Path,
    dataset: Path | None,
    embedder: Embedder | None,
    *,
    judge: bool,
    judge_host: str | None,
    judge_model: str | None,
) -> None:
    """Score a run, write summary.json, summary.md and report.html, and print the Markdown summary."""
    from tutor.answering.prompts import Prompts
    from tutor.evals.judge import DiskVerdictCache, Judge
    from tutor.evals.run import score_run
    from tutor.index.embed_cache import EmbeddingCache
    from tutor.wiring import build_judge_model

    # Passages hit the cache `tutor index build` filled; answer sentences get a cache of their own.
    passages = EmbeddingCache(settings.embed_cache_dir)
    sentences = EmbeddingCache(settings.data_dir / "cache" / "eval-sentences")
    cache: DiskVerdictCache | None = None
    the_judge: Judge | None = None
    if judge:
        cache = DiskVerdictCache(settings.data_dir / "cache" / "judge")
        the_judge = Judge(build_judge_model(settings, judge_host, judge_model), Prompts(settings.prompts_dir), cache)
    try:
        with bar("Chấm điểm") as update:
            _, md = score_run(
                run_dir,
                settings,
                embedder=embedder,
                judge=the_judge,
                dataset=dataset,
                passage_cache=passages,
                sentence_cache=sentences,
                progress=update,
            )
    finally:
        passages.close()
        sentences.close()
        if cache is not None:
            cache.close()
    out.print(md, markup=False, highlight=False)
    err.print(f"Báo cáo: {run_dir / 'report.html'}")


@eval_app.command("report")
def eval_report(
    run_dir: Annotated[
        Path | None, typer.Argument(help="Thư mục một lần chạy (eval/results/runs/…); bỏ trống: liệt kê các lần chạy.")
    ] = None,
    dataset: Annotated[
        Path | None, typer.Option("--dataset", help="Tập dữ liệu (mặc định: ghi trong manifest).")
    ] = None,
    judge: Annotated[bool, typer.Option("--judge", help="Chấm thêm bằng LLM qua Ollama.")] = False,
    judge_host: Annotated[str | None, typer.Option("--judge-host", help="Máy chủ Ollama của giám khảo.")] = None,
    judge_model: Annotated[str | None, typer.Option("--judge-model", help="Mô hình giám khảo.")] = None,
) -> None:
    """Chấm điểm lại một lần chạy đã có và viết báo cáo (summary.json, summary.md, report.html)."""
    if run_dir is None:
        runs = sorted((p for p in RUNS_DIR.glob("*") if (p / "manifest.json").is_file()), reverse=True)
        listing = "".join(f"\n  {p}" for p in runs[:10]) or f"\n  (chưa có lần chạy nào trong {RUNS_DIR})"
        err.print(
            "[red]Lỗi:[/] cần cho biết lần chạy cần báo cáo, ví dụ: tutor eval report "
            f"{runs[0] if runs else RUNS_DIR / '<thời-điểm>-<llm>'}\nCác lần chạy gần nhất:{listing}\n"
            "Chưa có lần chạy thì chạy `tutor eval run` trước."
        )
        raise typer.Exit(2)
    settings = load_settings()

    def body() -> None:
        from tutor.evals.records import read_manifest
        from tutor.wiring import build_embedder

        manifest = read_manifest(run_dir)
        # One thread (the serving default): on a CPU shared with other work, two threads run slower, not faster.
        same = manifest.embedder.split(":")[0] == settings.embedder
        embedder = build_embedder(settings) if same else None
        _report(settings, run_dir, dataset, embedder, judge=judge, judge_host=judge_host, judge_model=judge_model)

    run(body)


@eval_app.command("compare")
def eval_compare(
    run_a: Annotated[Path, typer.Argument(help="Lần chạy gốc (A).")],
    run_b: Annotated[Path, typer.Argument(help="Lần chạy mới (B).")],
    gate: Annotated[
        bool, typer.Option("--gate", help="Thoát 1 nếu B kém hơn A, 2 nếu không so sánh được (cho CI).")
    ] = False,
) -> None:
    """So sánh hai lần chạy: chênh lệch từng câu, McNemar, khoảng tin cậy bootstrap ghép cặp."""

    def body() -> None:
        from tutor.evals.compare import compare_runs, render_comparison

        comparison = compare_runs(run_a, run_b)
        out.print(render_comparison(comparison), markup=False, highlight=False)
        if gate and comparison.regression:
            raise typer.Exit(1)

    run(body)
