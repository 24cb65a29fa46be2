"""Follow-ups and new topics in a conversation: does the answer to the learner's second message cite the lesson
the same message gets when written out in full? Compared with searching the message alone and always joined with
the previous question (tutor/answering/followup.py; sets and their notes in eval/datasets/notes/turns_vi.md).

    .venv/bin/python eval/followup_check.py [eval/datasets/turns_vi.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import tutor.answering.followup as followup
from tutor.answering.tutor import Tutor
from tutor.config import Settings
from tutor.types import Answer, Level, Message
from tutor.wiring import build_tutor

ROOT = Path(__file__).resolve().parent.parent
SETS = [ROOT / "eval" / "datasets" / "turns_vi.jsonl", ROOT / "eval" / "datasets" / "turns2_vi.jsonl"]


def _first_lesson(answer: Answer) -> str | None:
    return answer.citations[0].lesson_id if answer.citations else None


def _history(row: dict) -> list[Message]:
    return [Message("user", row["previous"]), Message("assistant", "…")]


def _agreement(tutor: Tutor, rows: list[dict], truth: dict[str, str | None]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for kind in ("follow", "switch"):
        mine = [r for r in rows if r["kind"] == kind]
        ok = sum(
            _first_lesson(tutor.answer(r["question"], Level.TRUNG_CAP, history=_history(r))) == truth[r["id"]]
            for r in mine
        )
        out[kind] = (ok, len(mine))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="*", type=Path, default=SETS)
    args = ap.parse_args()
    tutor = build_tutor(Settings())
    serving = followup.leans_on_previous
    rules: dict[str, Callable[[str], bool]] = {
        "alone": lambda _q: False,
        "always joined": lambda _q: True,
        "serving (the wording)": serving,
    }
    for path in args.sets:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        truth = {r["id"]: _first_lesson(tutor.answer(r["standalone"], Level.TRUNG_CAP)) for r in rows}
        for name, rule in rules.items():
            followup.leans_on_previous = rule
            got = _agreement(tutor, rows, truth)
            (f, nf), (s, ns) = got["follow"], got["switch"]
            print(f"{path.name} {name:>22}: follow-ups {f}/{nf}, new topics {s}/{ns}, all {f + s}/{nf + ns}")
        followup.leans_on_previous = serving
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
