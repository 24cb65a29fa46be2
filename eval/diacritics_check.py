"""Does diacritic restoration help or harm? Retrieval on the gold set and the document set, questions typed with
marks, with every mark stripped, and with half the words stripped (a phone's autocorrect, a hurried learner).

For each form: hybrid hit@1/hit@5 (lesson and section on the gold set, paragraph on the document set), dense-only
hit@1, and how many well-typed questions the embedder sees rewritten. Only the public API of `tutor` is used, so
the same script measures an older checkout: PYTHONPATH=<old tree> .venv/bin/python eval/diacritics_check.py.

Usage: .venv/bin/python eval/diacritics_check.py [--json out.json] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import docs_bench  # eval/ is on sys.path when a script in it runs
import docs_set

from tutor.answering.tutor import retrieval_query
from tutor.config import Settings
from tutor.diacritics import strip_marks
from tutor.evals.dataset import load_gold
from tutor.text import for_matching, has_diacritics
from tutor.types import Message
from tutor.wiring import build_embedder, build_retriever

ROOT = Path(__file__).resolve().parent.parent
_PIECES = re.compile(r"\w+|\W+")


def half_stripped(question: str, rng: random.Random) -> str:
    return "".join(strip_marks(p) if rng.random() < 0.5 else p for p in _PIECES.findall(question))


def _share(flags: Sequence[bool]) -> float:
    return round(sum(flags) / len(flags), 3) if flags else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--cache", type=Path, help="embedding cache to reuse between runs")
    args = parser.parse_args()
    rng = random.Random(19)
    with tempfile.TemporaryDirectory() as tmp:
        index = docs_bench.prepare(Path(tmp), Settings(), cache_dir=args.cache)
        retriever = build_retriever(index.settings, build_embedder(index.settings))

        def dense_top(question: str) -> tuple[str, str] | None:
            hits = retriever.store.search(retriever.query_vector(question), 1)
            return (hits[0].chunk.lesson_id, hits[0].chunk.section_id) if hits else None

        items = [
            (retrieval_query(i.question, [Message(t.role, t.content) for t in i.history]), i)
            for i in load_gold(ROOT / "eval" / "datasets" / "gold_vi.jsonl")
            if i.gold
        ]
        marked = [(q, i) for q, i in items if has_diacritics(q)]
        gold_forms = {
            "all, as typed": items,
            "typed with marks": marked,
            "same, marks stripped": [(strip_marks(q), i) for q, i in marked],
            "same, half the words stripped": [(half_stripped(q, rng), i) for q, i in marked],
        }
        results: dict[str, object] = {"load": os.getloadavg()[0]}
        for form, pairs in gold_forms.items():
            rows = []
            for q, item in pairs:
                assert item.gold is not None
                hits = retriever.retrieve(q, 5, level=item.level.value, group=item.group.value)
                lessons = [h.chunk.lesson_id for h in hits]
                sections = [(h.chunk.lesson_id, h.chunk.section_id) for h in hits]
                want = (item.gold.lesson, item.gold.section)
                top = dense_top(q)
                rows.append((lessons[:1] == [want[0]], want[0] in lessons, sections[:1] == [want], want in sections,
                             top is not None and top[0] == want[0]))  # fmt: skip
            results[f"gold: {form}"] = {
                "n": len(rows),
                **{
                    k: _share([r[n] for r in rows])
                    for n, k in enumerate(["lesson@1", "lesson@5", "section@1", "section@5", "dense lesson@1"])
                },  # fmt: skip
            }
        questions = docs_set.questions()
        docs_forms = {
            "typed with marks": [q.question for q in questions],
            "marks stripped": [strip_marks(q.question) for q in questions],
            "half the words stripped": [half_stripped(q.question, rng) for q in questions],
        }
        gold_docs = [index.doc_of_source[q.source] for q in questions]
        for form, texts in docs_forms.items():
            ranked = [list(dict.fromkeys(h.chunk.lesson_id for h in retriever.retrieve(t, 5))) for t in texts]
            tops = [dense_top(t) for t in texts]
            results[f"docs: {form}"] = {
                "n": len(texts),
                "hit@1": _share([r[:1] == [g] for r, g in zip(ranked, gold_docs, strict=True)]),
                "hit@5": _share([g in r for r, g in zip(ranked, gold_docs, strict=True)]),
                "dense hit@1": _share([t is not None and t[0] == g for t, g in zip(tops, gold_docs, strict=True)]),
            }
        well_typed = [q for q, _ in marked] + [q.question for q in questions]
        results["well-typed questions the embedder sees rewritten"] = _share(
            [retriever.dense_text(q) != for_matching(q) for q in well_typed]
        )
    for key, value in results.items():
        print(f"{key}: {value}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
