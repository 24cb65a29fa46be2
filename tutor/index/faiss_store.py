"""FAISS inner-product store on normalised vectors, persisted beside its chunks and a manifest."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from tutor.errors import IndexMismatchError, IndexMissingError
from tutor.index.chunk_table import ChunkTable, write_chunks
from tutor.types import Chunk, Hit

# 2: passages are embedded after for_matching() (one tone placement).
FORMAT_VERSION = 2
#: Above this many chunks the store switches from exact (flat) search to HNSW.
HNSW_ABOVE = 50_000
REBUILD_HINT = "Chạy `tutor index build` (hoặc `make run`) để dựng lại chỉ mục."


@dataclass(frozen=True)
class Manifest:
    embedder: str
    dim: int
    corpus_hash: str
    chunk_count: int
    built_at: str
    format: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, indent=2)


class FaissStore:
    """Exact inner-product search (IndexFlatIP): with normalised vectors the score is the cosine.

    `source` is the version directory a loaded store was read from (None for one built in memory): the BM25 index
    saved beside it is opened from there.
    """

    def __init__(self, index: faiss.Index, chunks: Sequence[Chunk], source: Path | None = None) -> None:
        if index.ntotal != len(chunks):
            raise IndexMismatchError(f"Chỉ mục có {index.ntotal} vectơ nhưng {len(chunks)} đoạn. {REBUILD_HINT}")
        self._index = index
        # A mapped table stays mapped (shared by every worker); anything else becomes a list.
        self._chunks: Sequence[Chunk] = chunks if isinstance(chunks, ChunkTable) else list(chunks)
        self.source = source

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, chunks: Sequence[Chunk], *, hnsw_above: int = HNSW_ABOVE) -> FaissStore:
        """Exact search for a corpus this size; HNSW once exact search would cost more than ~20 ms a query."""
        vecs = np.ascontiguousarray(vectors, dtype=np.float32)
        faiss.normalize_L2(vecs)
        dim = vecs.shape[1]
        index: faiss.Index
        if len(vecs) > hnsw_above:
            hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = 80
            hnsw.hnsw.efSearch = 256
            index = hnsw
        else:
            index = faiss.IndexFlatIP(dim)
        index.add(vecs)
        return cls(index, chunks)

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self._index, faiss.IndexHNSWFlat) else "flat"

    @property
    def chunks(self) -> Sequence[Chunk]:
        return self._chunks

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search_positions(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(chunk position, cosine) of the `k` nearest chunks, best first, without decoding any chunk."""
        if not len(self._chunks) or k <= 0:
            return []
        q = np.array(vector, dtype=np.float32).reshape(1, -1)  # a copy: normalize_L2 works in place
        if q.shape[1] != self._index.d:
            raise IndexMismatchError(f"Vectơ câu hỏi có {q.shape[1]} chiều, chỉ mục có {self._index.d}. {REBUILD_HINT}")
        faiss.normalize_L2(q)
        scores, ids = self._index.search(q, min(k, len(self._chunks)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def search(self, vector: np.ndarray, k: int) -> list[Hit]:
        return [
            Hit(chunk=self._chunks[i], score=s, dense_rank=rank)
            for rank, (i, s) in enumerate(self.search_positions(vector, k))
        ]


# --- persistence -----------------------------------------------------------------------------
# Layout: <root>/current -> <root>/v-<timestamp>/{index.faiss, chunks.jsonl, chunks.offsets.npy, bm25/,
# manifest.json}. A new version is written beside the old one and `current` is swapped with one atomic rename,
# so a reader never sees a half-written index. A loaded version is memory-mapped (the vectors and graph with
# faiss' IO_FLAG_MMAP_IFC, the chunks and BM25 with mmap), so the workers of one machine share one copy of it
# in the page cache instead of each holding its own.


def save_index(
    root: Path,
    store: FaissStore,
    manifest: Manifest,
    keep: int = 2,
    *,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write a new version and switch `current` to it; `extra(dir)` adds files (the BM25 index) before the switch."""
    root.mkdir(parents=True, exist_ok=True)
    version = root / f"v-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = version.with_name(version.name + ".tmp")
    tmp.mkdir()
    faiss.write_index(store._index, str(tmp / "index.faiss"))
    write_chunks(tmp, store.chunks)
    if extra is not None:
        extra(tmp)
    (tmp / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    tmp.rename(version)
    link = root / "current.tmp"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(version.name)
    os.replace(link, root / "current")
    _prune(root, keep)
    return version


def _prune(root: Path, keep: int) -> None:
    current = (root / "current").resolve()
    versions = sorted(p for p in root.glob("v-*") if p.is_dir() and p.resolve() != current)
    for old in versions[: max(0, len(versions) - (keep - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(root: Path) -> Manifest | None:
    path = root / "current" / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise IndexMismatchError(f"Tệp manifest của chỉ mục hỏng ({exc}). {REBUILD_HINT}") from exc


def load_index(root: Path, embedder_id: str) -> tuple[FaissStore, Manifest]:
    """Load the current index; fail with a rebuild hint if it is missing or built by another embedder."""
    manifest = read_manifest(root)
    if manifest is None:
        raise IndexMissingError(f"Chưa có chỉ mục ở {root}. {REBUILD_HINT}")
    if manifest.format != FORMAT_VERSION:
        raise IndexMismatchError(f"Chỉ mục ở định dạng cũ ({manifest.format}). {REBUILD_HINT}")
    if manifest.embedder != embedder_id:
        raise IndexMismatchError(
            f"Chỉ mục được dựng bằng bộ nhúng '{manifest.embedder}' nhưng cấu hình hiện dùng "
            f"'{embedder_id}'. {REBUILD_HINT}"
        )
    version = (root / "current").resolve()
    try:
        # Mapped, not copied: the vectors (and HNSW graph) stay in the page cache, shared by every worker.
        index = faiss.read_index(str(version / "index.faiss"), faiss.IO_FLAG_MMAP_IFC)
        chunks = ChunkTable(version)
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        raise IndexMismatchError(f"Không đọc được chỉ mục ở {version} ({exc}). {REBUILD_HINT}") from exc
    if index.d != manifest.dim or len(chunks) != manifest.chunk_count:
        raise IndexMismatchError(f"Chỉ mục ở {version} không khớp manifest. {REBUILD_HINT}")
    return FaissStore(index, chunks, source=version), manifest
