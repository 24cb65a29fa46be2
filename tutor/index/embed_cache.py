"""Embedding cache keyed by embedder id and passage text, so a rebuild re-embeds only what changed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import diskcache
import numpy as np

from tutor.protocols import Embedder

Progress = Callable[[int, int], None]
BATCH = 8


def cache_key(embedder_id: str, text: str) -> str:
    return hashlib.sha256(f"{embedder_id}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    """A diskcache (SQLite) of float32 vectors. Safe to share between processes."""

    def __init__(self, directory: Path, size_limit: int = 2**30) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._cache = diskcache.Cache(str(directory), size_limit=size_limit)

    def get(self, key: str) -> np.ndarray | None:
        raw = self._cache.get(key)
        return None if raw is None else np.frombuffer(raw, dtype=np.float32)

    def put(self, key: str, vector: np.ndarray) -> None:
        self._cache.set(key, np.ascontiguousarray(vector, dtype=np.float32).tobytes())

    def close(self) -> None:
        self._cache.close()


def embed_with_cache(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    progress: Progress | None = None,
    *,
    as_queries: bool = False,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` in order, and how many had to be embedded (cache misses).

    `as_queries`: embed them as questions (e5's "query: " side), cached apart from the same text as a passage.
    """
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    keys = [cache_key(f"{embedder.id}:query" if as_queries else embedder.id, t) for t in texts]
    missing: list[int] = []
    for i, key in enumerate(keys):
        hit = cache.get(key) if cache else None
        if hit is not None and hit.shape == (embedder.dim,):
            vectors[i] = hit
        else:
            missing.append(i)
    done = len(texts) - len(missing)
    if progress:
        progress(done, len(texts))
    for start in range(0, len(missing), BATCH):
        idx = missing[start : start + BATCH]
        batch = (
            np.stack([embedder.embed_query(texts[i]) for i in idx])
            if as_queries
            else embedder.embed_passages([texts[i] for i in idx])
        )
        for i, vec in zip(idx, batch, strict=True):
            vectors[i] = vec
            if cache:
                cache.put(keys[i], vec)
        done += len(idx)
        if progress:
            progress(done, len(texts))
    return vectors, len(missing)
