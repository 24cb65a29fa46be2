"""Training the gate's linear text classifiers (scope, manipulation): TF-IDF of words beside the e5 embedding.

Both are a logistic regression (scikit-learn, offline only) over the question's folded syllables and syllable pairs
(sublinear TF-IDF, L2) and its e5 query embedding, exported as a `ScopeModel` so serving needs a few dictionary
look-ups and a dot product, and no scikit-learn. Thresholds are chosen on out-of-fold probabilities of the
training data only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tutor.answering.scope import ScopeModel
from tutor.errors import MissingExtraError
from tutor.text import lexical_tokens

try:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
except ImportError as exc:  # training only: scikit-learn comes with the `dev` extra
    raise MissingExtraError(exc, "dev", "Huấn luyện bộ phân loại (make scope-train)") from exc

SEED = 20261206


def vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=lexical_tokens, min_df=2, sublinear_tf=True)


def features(texts: list[str], vectors: np.ndarray, vec: TfidfVectorizer, *, fit: bool) -> csr_matrix:
    """Words (as tutor.answering.scope.lexical_vector computes them) beside the e5 embedding."""
    words = vec.fit_transform(texts) if fit else vec.transform(texts)
    return hstack([words, csr_matrix(vectors)]).tocsr()


def cross_validated(texts: list[str], x: np.ndarray, y: np.ndarray, c: float, folds: int = 5) -> np.ndarray:
    """Out-of-fold P(label 1) for every example; the vocabulary is fitted inside each fold."""
    p = np.zeros(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=SEED).split(x, y):
        vec = vectorizer()
        train_x = features([texts[i] for i in train], x[train], vec, fit=True)
        test_x = features([texts[i] for i in test], x[test], vec, fit=False)
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(train_x, y[train])
        p[test] = model.predict_proba(test_x)[:, 1]
    return p


def lowest_threshold(p: np.ndarray, y: np.ndarray, allowed: Callable[[np.ndarray], bool]) -> float:
    """The lowest threshold (0.30…0.995, step 0.005) whose flags `allowed` accepts; 0.995 when none is."""
    for t in np.arange(0.30, 0.995, 0.005):
        if allowed(p >= t):
            return float(t)
    return 0.995


def fit(
    texts: list[str], x: np.ndarray, y: np.ndarray, c: float, *, embedder: str, threshold: float, data_sha256: str
) -> ScopeModel:
    """The final model on all the data, exported; raises when the exported formula differs from scikit-learn's."""
    vec = vectorizer()
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(features(texts, x, vec, fit=True), y)
    coef = model.coef_[0]
    n_words = len(vec.vocabulary_)
    exported = ScopeModel(
        embedder=embedder,
        weights=coef[n_words:].astype(np.float32),
        bias=float(model.intercept_[0]),
        threshold=round(threshold, 3),
        data_sha256=data_sha256,
        lexical={tok: (float(vec.idf_[i]), float(coef[i])) for tok, i in vec.vocabulary_.items()},
    )
    for text, row in zip(texts[:200], x[:200], strict=True):
        sk = float(model.predict_proba(features([text], row[None, :], vec, fit=False))[0, 1])
        if abs(sk - exported.p_out(row, text)) >= 1e-4:
            raise AssertionError(f"exported model differs from scikit-learn on {text!r}: {sk}")
    return exported
