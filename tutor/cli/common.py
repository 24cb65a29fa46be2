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
    """The settings, or the Vietnamese line that says which variable is wrong and exit 2."""
    from tutor.config import load_settings as read_settings

    try:
        return read_settings()
    except TutorError as exc:
        err.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(exc.exit_code) from exc


def run(fn: Callable[[], T], *, failing: str | None = None) -> T:
    """Run a command body; a TutorError becomes its message and exit code, never a traceback.

    `failing`: a command that must not fail half-way says what the failure left undone, on the same line, and
    turns any other exception into that line and exit 1 too.
    """
    after = f" {failing}" if failing else ""
    try:
        return fn()
    except TutorError as exc:
        err.print(f"[red]Lỗi:[/] {escape(str(exc))}{escape(after)}")
        raise typer.Exit(exc.exit_code) from exc
    except KeyboardInterrupt:
        err.print(f"Đã dừng.{escape(after)}")
        raise typer.Exit(130) from None
    except typer.Exit:  # a deliberate exit with its own message
        raise
    except Exception as exc:
        if failing is None:
            raise
        err.print(f"[red]Lỗi:[/] {escape(type(exc).__name__)}: {escape(str(exc)[:200])}.{escape(after)}")
        raise typer.Exit(1) from exc


@contextmanager
def bar(label: str, *, bytes_: bool = False, total: int | None = None) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar; `total`, when known before the work starts, is shown at once instead of "0/?"."""
    from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns: list[Any] = [TextColumn(label), BarColumn()]
    columns += [DownloadColumn()] if bytes_ else [MofNCompleteColumn()]
    columns.append(TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task(label, total=total)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def build_index_now(settings: Settings) -> None:
    """Build the index from lessons and ingested documents, reusing cached embeddings; the swap is the commit."""
    from tutor.index.build import build_index, count_chunks
    from tutor.index.embed_cache import EmbeddingCache
    from tutor.wiring import build_embedder

    embedder = build_embedder(settings, threads=settings.build_threads)
    total = count_chunks(settings.lessons_dir, settings.ingested_dir)
    cache = EmbeddingCache(settings.embed_cache_dir)
    try:
        with bar("Nhúng các đoạn bài học và tài liệu", total=total) as update:
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


def warm_answer_library(settings: Settings) -> None:
    """Embed the answer spans' questions into the cache now (only when the composer matches by meaning), so that
    the service starts without embedding them. After the index is committed: a failure here undoes nothing."""
    from tutor.wiring import build_embedder, build_library, build_retriever, composer_dense

    if not settings.composer_dense:
        return  # off by default: nothing to embed, and no embedder to load
    embedder = build_embedder(settings, threads=settings.build_threads)
    if composer_dense(settings, embedder):
        with bar("Nhúng câu hỏi mẫu của các đoạn trả lời") as update:
            build_library(settings, embedder, build_retriever(settings, embedder), update)


def rebuild(settings: Settings) -> None:
    """Build the index from lessons and ingested documents, then warm the answer library's embeddings."""
    build_index_now(settings)
    warm_answer_library(settings)
