"""Pick the citations for an answer from the hits it actually used: never from ids the model wrote."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tutor.text import folded_syllables, sentences
from tutor.types import Citation, Hit

_MARKER = re.compile(r"\[(\d{1,2})\]")


def _bigrams(text: str) -> set[tuple[str, str]]:
    toks = folded_syllables(text)
    return set(zip(toks, toks[1:], strict=False))


def cite(answer: str, hits: Sequence[Hit], min_support: float = 0.3) -> tuple[Citation, ...]:
    """Hits the answer points to with a valid [n] marker, or that best support one of its sentences.

    A sentence is attributed to the hit sharing the largest share of its syllable bigrams, if that
    share reaches `min_support`. A marker outside 1..len(hits) is ignored. If nothing qualifies,
    the top hit is cited, since the answer was written from the passages in rank order.
    """
    if not hits:
        return ()
    used: set[int] = {int(m) for m in _MARKER.findall(answer) if 1 <= int(m) <= len(hits)}
    hit_grams = [_bigrams(h.chunk.text) for h in hits]
    for sent in sentences(_MARKER.sub(" ", answer)):
        grams = _bigrams(sent)
        if len(grams) < 2:
            continue
        support = [len(grams & hg) / len(grams) for hg in hit_grams]
        best = max(range(len(hits)), key=lambda i: support[i])
        if support[best] >= min_support:
            used.add(best + 1)
    if not used:
        used = {1}
    return tuple(Citation(n=n, **hits[n - 1].chunk.source_fields()) for n in sorted(used))
