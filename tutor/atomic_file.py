"""Replace a file in one rename, so a reader (or a crash) finds the old contents or the new, never half of them."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a rename inside `directory` durable, where the OS allows it (not every filesystem can)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def replace_file(path: Path, content: bytes | Iterable[bytes], *, mode: int | None = None) -> None:
    """Write `content` to a temporary file beside `path`, fsync it, then rename it over `path`.

    `mode` sets the new file's permissions (a rewrite keeps the old file's); without it the file is private
    to its owner, as `tempfile.mkstemp` creates it. On any failure the temporary file is removed and `path`
    is left as it was.
    """
    # The temporary name starts with a dot and ends in .tmp: hidden from globs of the real files, and easy to
    # recognise as debris if the machine dies before the rename.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(content, bytes):
                f.write(content)
            else:
                f.writelines(content)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
