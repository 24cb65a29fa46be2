"""Shared pieces of the CLI: settings at the edge, error-to-exit mapping, progress bars, consoles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tutor.errors import TutorError

if TYPE_CHECKING:  # settings (pydantic) load when a command runs, not for `tutor --help`
    from tutor.config import Settings

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
T = TypeVar("T")


def load_settings() -> Settings:
    from pydantic import ValidationError

    from tutor.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"TUTOR_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]Cấu hình sai:[/] {problems}")
        raise typer.Exit(2) from exc


def run(fn: Callable[[], T]) -> T:
    """Run a command body; a TutorError becomes its message and exit code, never a traceback."""
    try:
        return fn()
    except TutorError as exc:
        err.print(f"[red]Lỗi:[/] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from exc
    except KeyboardInterrupt:
        err.print("Đã dừng.")
        raise typer.Exit(130) from None


@contextmanager
def bar(label: str, *, bytes_: bool = False) -> Iterator[Callable[[int, int], None]]:
    from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns: list[Any] = [TextColumn(label), BarColumn()]
    columns += [DownloadColumn()] if bytes_ else [MofNCompleteColumn()]
    columns.append(TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def rebuild(settings: Settings) -> None:
    """Build the index from lessons and ingested documents, reusing cached embeddings."""
    from tutor.index.build import build_index
    from tutor.index.embed_cache import EmbeddingCache
    from tutor.wiring import build_embedder, build_library, build_retriever, composer_dense

    embedder = build_embedder(settings, threads=settings.build_threads)
    cache = EmbeddingCache(settings.embed_cache_dir)
    try:
        with bar("Nhúng các đoạn bài học") as update:
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
    if composer_dense(settings, embedder):
        # Embedded now, into the cache, so that the service starts without embedding them.
        with bar("Nhúng câu hỏi mẫu của các đoạn trả lời") as update:
            build_library(settings, embedder, build_retriever(settings, embedder), update)
