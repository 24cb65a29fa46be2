"""ChunkTable: the index's chunks read in place from a memory-mapped chunks.jsonl, one line decoded when asked for.

With several workers on one machine, a list of 100k Chunk objects in each would cost every worker the same hundred
megabytes. Mapped, the file's pages sit once in the page cache and are shared by every worker; a worker holds only
the offsets of the lines (8 bytes a chunk, themselves mapped when the index was built with them) and decodes the few
chunks a question retrieves.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import overload

import numpy as np

from tutor.types import Chunk

#: Beside chunks.jsonl: where each line starts, and where the last one ends (n + 1 little-endian uint64).
OFFSETS_FILE = "chunks.offsets.npy"


def chunk_to_json(c: Chunk) -> str:
    return json.dumps(
        {
            "id": c.id,
            "lesson_id": c.lesson_id,
            "section_id": c.section_id,
            "lesson_title": c.lesson_title,
            "section_title": c.section_title,
            "text": c.text,
            "groups": list(c.groups),
            "levels": list(c.levels),
        },
        ensure_ascii=False,
    )


def chunk_from_json(line: str | bytes) -> Chunk:
    d = json.loads(line)
    d["groups"] = tuple(d.get("groups", ()))
    d["levels"] = tuple(d.get("levels", ()))
    return Chunk(**d)


def write_chunks(directory: Path, chunks: Sequence[Chunk]) -> None:
    """chunks.jsonl and its offsets, so a reader can map both instead of parsing the file."""
    lines = [(chunk_to_json(c) + "\n").encode("utf-8") for c in chunks]
    offsets = np.zeros(len(lines) + 1, dtype="<u8")
    np.cumsum([len(line) for line in lines], out=offsets[1:])
    (directory / "chunks.jsonl").write_bytes(b"".join(lines))
    np.save(directory / OFFSETS_FILE, offsets)


def _scan_offsets(data: bytes | mmap.mmap) -> np.ndarray:
    """Offsets of the non-empty lines of an index written before OFFSETS_FILE existed (private to this process)."""
    starts: list[int] = []
    ends: list[int] = []
    pos, size = 0, len(data)
    while pos < size:
        end = data.find(b"\n", pos)
        end = size if end < 0 else end + 1
        if data[pos:end].strip():
            starts.append(pos)
            ends.append(end)
        pos = end
    if not starts:
        return np.zeros(1, dtype="<u8")
    if any(s != e for s, e in zip(starts[1:], ends[:-1], strict=False)):
        # Blank lines in between: keep pairs, not a single running array.
        return np.array(list(zip(starts, ends, strict=True)), dtype="<u8")
    return np.array([*starts, ends[-1]], dtype="<u8")


class ChunkTable(Sequence[Chunk]):
    """A read-only Sequence[Chunk] over a mapped chunks.jsonl; `table[i]` decodes line i."""

    def __init__(self, directory: Path) -> None:
        path = directory / "chunks.jsonl"
        with path.open("rb") as f:
            size = path.stat().st_size
            # An empty file cannot be mapped; an empty table needs no mapping.
            self._data: mmap.mmap | bytes = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        offsets_path = directory / OFFSETS_FILE
        if offsets_path.exists():
            self._offsets = np.load(offsets_path, mmap_mode="r")
        else:
            self._offsets = _scan_offsets(self._data)
        self._pairs = self._offsets.ndim == 2

    def __len__(self) -> int:
        return len(self._offsets) if self._pairs else len(self._offsets) - 1

    def _line(self, i: int) -> bytes:
        if self._pairs:
            start, end = self._offsets[i]
        else:
            start, end = self._offsets[i], self._offsets[i + 1]
        return self._data[int(start) : int(end)]

    @overload
    def __getitem__(self, i: int) -> Chunk: ...

    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...

    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"chunk {i} out of range (0..{n - 1})")
        return chunk_from_json(self._line(i))

    def __iter__(self) -> Iterator[Chunk]:
        for i in range(len(self)):
            yield self[i]
