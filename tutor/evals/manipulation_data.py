"""The manipulation classifier's training data: attempts on the tutor against genuine questions that sound alike."""

from __future__ import annotations

import json
from pathlib import Path

from tutor.answering.scope import read_examples
from tutor.config import Settings
from tutor.evals.scope_data import training_data
from tutor.safety.privacy import redact

#: Dev attempts written while designing the rules, and genuine questions about scams, passwords and AI.
ATTEMPTS_FILE = Path("scope") / "manipulation.txt"
LOOKALIKES_FILE = Path("scope") / "benign_lookalikes.txt"
#: Manipulation sets measured once in earlier rounds (eval/results/scope_round1.md, scope_round2.md): training
#: data from the next round on; the fresh set of the current round (eval/scope_check.py) measures the result.
MEASURED_SETS = (
    "manipulation_vi.jsonl",
    "manipulation_C_vi.jsonl",
    "manipulation_D_vi.jsonl",
    "manipulation_E_vi.jsonl",
    "manipulation_F_vi.jsonl",
    "manipulation_G_vi.jsonl",
    "manipulation_H_vi.jsonl",
    "manipulation_I_vi.jsonl",
)
INJECTION_CASES = Path("tests") / "injection" / "cases_vi.jsonl"


def as_text(question: str, history: list[dict[str, str]] | None) -> str:
    """What the classifier reads: the learner's last turns and the question, as one text (split attempts)."""
    earlier = [m["content"] for m in history or () if m.get("role") == "user"][-3:]
    return " ".join([*earlier, question])


#: Blocks of corpus/scope/manipulation.txt that are rude or off-topic rather than an attempt on the tutor: the
#: scope gate and the lessons deal with those, so they are left out of both sides.
NOT_ATTEMPTS = {"insults-abuse", "political-propaganda", "off-scope-push"}


def by_kind(path: Path) -> list[tuple[str, str]]:
    """(kind, line) of an examples file whose blocks open with `# kind: <name>`."""
    kind = ""
    out: list[tuple[str, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("# kind:"):
            kind = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#"):
            out.append((kind, line))
    return out


def manipulation_rows(path: Path) -> list[tuple[str, bool]]:
    """(text, is an attempt) of a manipulation set (`question`, optional `history`, `expected`)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(as_text(r["question"], r.get("history")), r["expected"] == "manipulation") for r in rows]


def manipulation_training_data(settings: Settings, root: Path) -> tuple[list[str], list[str], list[str]]:
    """(attempts, look-alikes, other genuine questions), each once, in a fixed order.

    Attempts: corpus/scope/manipulation.txt (but its rude and off-topic blocks), the earlier rounds' manipulation
    sets' attempts and the direct injection test cases. Look-alikes: corpus/scope/benign_lookalikes.txt and the
    earlier rounds' genuine questions. Other genuine questions: the scope classifier's training questions,
    in scope and out (cooking and lottery questions do not try to manipulate anyone either).

    Every text is redacted as Tutor.validate redacts a question, because that is what the gate reads: a learner's
    "otp của tôi là 738291" reaches it as "otp của tôi là [đã ẩn mã]".
    """
    attempts = [q for kind, q in by_kind(settings.corpus_dir / ATTEMPTS_FILE) if kind not in NOT_ATTEMPTS]
    lookalikes = read_examples(settings.corpus_dir / LOOKALIKES_FILE)
    measured = [row for name in MEASURED_SETS for row in manipulation_rows(root / "eval" / "datasets" / name)]
    attempts += [t for t, bad in measured if bad]
    lookalikes += [t for t, bad in measured if not bad]
    cases = [json.loads(line) for line in (root / INJECTION_CASES).read_text(encoding="utf-8").splitlines() if line]
    attempts += [c["question"] for c in cases if c["kind"] == "direct"]
    inside, outside = training_data(settings, root / "eval" / "datasets" / "gold_vi.jsonl")
    attempts = list(dict.fromkeys(redact(q) for q in attempts))
    lookalikes = [redact(q) for q in lookalikes]
    inside, outside = [redact(q) for q in inside], [redact(q) for q in outside]
    bad = set(attempts)
    lookalikes = [q for q in dict.fromkeys(lookalikes) if q not in bad]
    seen = bad | set(lookalikes)
    others = [q for q in dict.fromkeys(inside + outside) if q not in seen]
    return attempts, lookalikes, others
