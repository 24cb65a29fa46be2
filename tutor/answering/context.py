"""What the LLM reads: the sentences of the best passages that bear on the question, within a character budget.

On two CPU cores the embedded model evaluates about 95 prompt tokens a second, and Vietnamese costs about one
token per 3.3 characters, so every 100 characters of lesson text delay the first word by a third of a second.
Cutting each passage after its first sentences wastes that budget on sentences the question does not need; picking
the sentences that share words with the question keeps more of what the answer must say. On the gold set
(eval/results/context_budget.md) 600 chosen characters hold more of the key points (0.677) than two passages cut
at 450 characters each (0.640), with a third fewer prompt tokens.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

from tutor.text import folded_syllables, sentences
from tutor.types import Hit

#: Later passages rank lower, and so do later sentences of one passage (lessons put the first step first).
_PASSAGE_PENALTY = 0.3
_POSITION_PENALTY = 0.01


def _terms(text: str) -> set[str]:
    syl = folded_syllables(text)
    # Pairs stand in for two-syllable words ("kich_hoat"): sharing a word counts more than sharing a syllable.
    return set(syl) | {f"{a}_{b}" for a, b in itertools.pairwise(syl)}


def _relevance(question: set[str], sentence: str) -> float:
    terms = _terms(sentence)
    # Normalised by length so a long sentence does not win only by containing more words.
    return len(question & terms) / (len(terms) ** 0.5 + 1.0)


def fit_passages(question: str, hits: Sequence[Hit], budget: int) -> list[Hit]:
    """The hits with their text cut to the sentences chosen for the question, in lesson order.

    Sentences are taken best first until `budget` characters are used (always at least one). A hit none of
    whose sentences is chosen is dropped, so the passages the model sees are exactly the ones it can cite.
    """
    wanted = _terms(question)
    ranked: list[tuple[float, int, int, str]] = []
    split = [sentences(h.chunk.text) for h in hits]
    for p, sents in enumerate(split):
        for s, sent in enumerate(sents):
            score = _relevance(wanted, sent) - _PASSAGE_PENALTY * p - _POSITION_PENALTY * s
            ranked.append((score, p, s, sent))
    chosen: set[tuple[int, int]] = set()
    used = 0
    for _, p, s, sent in sorted(ranked, key=lambda r: (-r[0], r[1], r[2])):
        if chosen and used + len(sent) > budget:
            continue  # a shorter sentence further down may still fit
        chosen.add((p, s))
        used += len(sent) + 1
    fitted: list[Hit] = []
    for p, (hit, sents) in enumerate(zip(hits, split, strict=True)):
        kept = [sent for s, sent in enumerate(sents) if (p, s) in chosen]
        if len(kept) == len(sents):
            fitted.append(hit)  # the whole passage fits: shown as written
        elif kept:
            text = "\n".join(kept)
            fitted.append(dataclasses.replace(hit, chunk=dataclasses.replace(hit.chunk, text=text)))
    return fitted
