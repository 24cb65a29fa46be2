"""Answer every question of a JSON list at Cơ bản through `Tutor.answer`; write {question: {text, lessons}}.

    .venv/bin/python eval/results/judge_facebook_zalo/answer_all.py questions.json answers.json

Run from a checkout whose corpus and index are the version to judge (TUTOR_DATA_DIR for another index).
"""

from __future__ import annotations

import json
import sys

from tutor.config import Settings
from tutor.types import Level
from tutor.wiring.answering import build_tutor


def main() -> None:
    settings = Settings().model_copy(update={"llm": "extractive"})
    tutor = build_tutor(settings)
    with open(sys.argv[1], encoding="utf-8") as f:
        questions = json.load(f)
    out = {}
    for question in questions:
        answer = tutor.answer(question, Level.CO_BAN)
        out[question] = {
            "text": answer.text,
            "lessons": [c.lesson_id for c in answer.citations],
            "refused": answer.refusal is not None,
        }
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
