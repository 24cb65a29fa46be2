"""Adaptation check (`make adaptation`): 40 answerable gold questions at Cơ bản and at Nâng cao, with the default
(composed) answer; the Cơ bản answer must be shorter, with shorter sentences and fewer rare syllables, on at least
90% of pairs. Writes eval/results/adaptation.json and exits 1 when the target is missed.

    .venv/bin/python eval/adaptation_check.py [--answer composed|generated|…]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tutor.config import Settings
from tutor.corpus.load import load_lessons
from tutor.evals.adaptation import TARGET, measure, questions, summary
from tutor.evals.dataset import load_gold
from tutor.evals.metrics import common_syllables
from tutor.wiring import build_tutor

ROOT = Path(__file__).resolve().parent.parent
COMMON_TOP_N = 500


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answer", default="composed")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "adaptation.json")
    args = ap.parse_args()
    settings = Settings(answer_mode=args.answer)
    tutor = build_tutor(settings)
    common = common_syllables(
        [s.text for les in load_lessons(settings.lessons_dir) for s in les.sections], COMMON_TOP_N
    )
    pairs = measure(tutor, questions(load_gold(ROOT / "eval" / "datasets" / "gold_vi.jsonl")), common)
    result = {"answer_mode": args.answer, **summary(pairs)}
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(
        f"{result['pairs']} pairs, mode {args.answer}: Cơ bản adapts on {100 * result['adapt']:.1f}% "
        f"(target {100 * TARGET:.0f}%): shorter {100 * result['shorter']:.1f}%, shorter sentences "
        f"{100 * result['shorter_sentences']:.1f}%, fewer rare syllables {100 * result['fewer_rare']:.1f}%"
    )
    for p in pairs:
        if not p.adapts:
            print(f"  not adapted: {p.id} {p.question[:60]} — CB {p.co_ban} NC {p.nang_cao}")
    return 0 if result["adapt"] >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
