"""The Embedder contract: what every embedding backend does, as a base class each backend's tests subclass.

A subclass builds its backend in the `embedder` fixture and a second, independent one in `fresh_embedder` (its id
must be the same: the index manifest records it), and names the prefix its ids start with.
"""

from __future__ import annotations

import unicodedata
from typing import ClassVar

import numpy as np
import pytest

from tests.contracts.capabilities import Capabilities
from tutor.protocols import Embedder

TEXTS = [
    "Mang thẻ căn cước đến Công an để kích hoạt VNeID mức 2.",
    "Không đọc mã OTP cho ai, kể cả người xưng là công an hay nhân viên ngân hàng.",
    "Cách nấu phở bò.",
    "Wi-Fi",
]
# Dense floats from a model: a batch may add rounding noise, never a different vector.
ATOL = 1e-5


class EmbedderContract(Capabilities):
    #: What the backend's ids start with; no two backends share one.
    id_prefix: ClassVar[str]

    @pytest.fixture
    def embedder(self) -> Embedder:
        raise NotImplementedError

    @pytest.fixture
    def fresh_embedder(self) -> Embedder:
        """A second instance built the same way."""
        raise NotImplementedError

    def test_is_an_embedder(self, embedder: Embedder) -> None:
        assert isinstance(embedder, Embedder)

    def test_dim_is_the_length_of_every_vector(self, embedder: Embedder) -> None:
        query = embedder.embed_query(TEXTS[0])
        passages = embedder.embed_passages(TEXTS)
        assert query.shape == (embedder.dim,) and query.dtype == np.float32
        assert passages.shape == (len(TEXTS), embedder.dim) and passages.dtype == np.float32

    def test_vectors_are_l2_normalised(self, embedder: Embedder) -> None:
        vectors = np.vstack([embedder.embed_passages(TEXTS), [embedder.embed_query(t) for t in TEXTS]])
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)

    def test_a_batch_embeds_each_text_as_it_would_alone(self, embedder: Embedder) -> None:
        batch = embedder.embed_passages(TEXTS)
        alone = np.vstack([embedder.embed_passages([t]) for t in TEXTS])
        assert np.allclose(batch, alone, atol=ATOL)

    def test_an_empty_list_gives_no_rows_of_the_right_width(self, embedder: Embedder) -> None:
        empty = embedder.embed_passages([])
        assert empty.shape == (0, embedder.dim) and empty.dtype == np.float32

    @pytest.mark.parametrize("blank", ["", "   "])
    def test_blank_text_gives_a_finite_vector_that_is_unit_or_zero(self, embedder: Embedder, blank: str) -> None:
        for vector in (embedder.embed_query(blank), embedder.embed_passages([blank])[0]):
            assert vector.shape == (embedder.dim,) and np.isfinite(vector).all()
            assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-3) or not vector.any()

    def test_decomposed_unicode_gives_the_same_vector_as_composed(self, embedder: Embedder) -> None:
        decomposed = [unicodedata.normalize("NFD", t) for t in TEXTS]
        assert decomposed != TEXTS
        assert np.allclose(embedder.embed_passages(decomposed), embedder.embed_passages(TEXTS), atol=ATOL)
        assert np.allclose(embedder.embed_query(decomposed[0]), embedder.embed_query(TEXTS[0]), atol=ATOL)

    def test_id_names_the_backend_and_is_the_same_for_every_instance(
        self, embedder: Embedder, fresh_embedder: Embedder
    ) -> None:
        before = embedder.id
        embedder.embed_passages(TEXTS)
        assert before == embedder.id == fresh_embedder.id
        assert before.startswith(self.id_prefix)
