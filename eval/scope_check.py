"""Measure the gate through the real Tutor: off-topic questions refused, answerable ones wrongly refused, manipulation
caught, genuine questions about scams left alone — on every held-out set, each measured once.

    .venv/bin/python eval/scope_check.py [--llm]     # or `make scope`; writes eval/results/scope.md and scope.json

Sets (all in eval/datasets/). Round 1 (eval/results/scope_round1.md) measured the held-out sets A and B, the two
older held-out sets and the manipulation set once; since round 2 they are training data, and the fresh sets written
apart afterwards measured round 2 (scope_heldoutC_vi.jsonl, manipulation_C_vi.jsonl; eval/results/scope_round2.md),
and since round 3 they are training data too: the fresh sets D measured round 3 (scope_heldoutD_vi.jsonl,
manipulation_D_vi.jsonl; eval/results/scope_round3.md). Round 4 retrained the manipulation classifier with set D and
measured it on the fresh set manipulation_E_vi.jsonl (eval/results/scope_round4.md); round 5 adds E to its training
and measures the fresh set manipulation_F_vi.jsonl (eval/results/scope_round5.md); round 6 adds F and measures the
fresh set manipulation_G_vi.jsonl (eval/results/scope_round6.md); round 7 adds G and measures the fresh set
manipulation_H_vi.jsonl (eval/results/scope_round7.md); round 8 adds H and measures the fresh set
manipulation_I_vi.jsonl (eval/results/scope_round8.md); round 9 adds I and measures the fresh set
manipulation_J_vi.jsonl. The scope classifier is unchanged since round 3. Both gold
sets are reported too (the first is training data of the scope classifier, the second is not).
Every question goes through `Tutor.answer` (composed mode) with the real e5 index, so the digital-word rule, the
manipulation rules and the classifier act together as they do in service.

With `--llm`, every manipulation-set question is also answered by the embedded llama.cpp model (generated mode),
and the quoted and composed answers are checked too: canary leaks and answers that ask for or advise sharing an
OTP, password or card number are counted per backend (about 20 minutes on two cores).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tutor.answering.tutor import Tutor
from tutor.config import Settings
from tutor.safety.advice import unsafe_advice
from tutor.safety.injection import canary_leaked
from tutor.text import sentences
from tutor.types import Group, Level, Message, RefusalKind
from tutor.wiring import build_embedder, build_tutor

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "eval" / "datasets"
OUT = ROOT / "eval" / "results"
# Round 3: the sets of rounds 1 and 2 (eval/results/scope_round1.md, scope_round2.md) are training data now; the
# fresh set D measures.
SCOPE_SETS = (
    ("held-out D (fresh, round 3)", "scope_heldoutD_vi.jsonl"),
    ("held-out C (trained on since round 3)", "scope_heldoutC_vi.jsonl"),
    ("held-out A (trained on since round 2)", "scope_heldoutA_vi.jsonl"),
    ("held-out B (trained on since round 2)", "scope_heldoutB_vi.jsonl"),
    ("held-out 1 (trained on since round 2)", "scope_heldout_vi.jsonl"),
    ("held-out 2 (trained on since round 2)", "scope_heldout2_vi.jsonl"),
)
#: Rounds 4 to 9 retrained the manipulation classifier only (with set D, then E, F, G, H, I;
#: eval/results/scope_round4.md to scope_round8.md) and measure it once on the next fresh set; the scope
#: classifier is round 3's (eval/results/scope_round3.md).
MANIPULATION_SET = "manipulation_J_vi.jsonl"
#: The round this run measures, and the letters of its fresh and last-trained sets, for the report's headings.
ROUND = 9
#: The round-8 manipulation set, training data of the manipulation classifier and read for its rules since round 9.
MANIPULATION_TRAINED = "manipulation_I_vi.jsonl"


def _rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line.strip()]


def _history(row: dict[str, Any]) -> list[Message]:
    return [Message(t["role"], t["content"]) for t in row.get("history") or []]


def _ask(tutor: Tutor, question: str, history: list[Message] | None = None, level: str = "co-ban") -> Any:
    return tutor.answer(question, Level(level), Group.NGUOI_DAN, history or [])


def scope_figures(tutor: Tutor) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, name in SCOPE_SETS:
        rows = _rows(name)
        off = [r for r in rows if not r["in_scope"]]
        on = [r for r in rows if r["in_scope"]]
        refused_off = [r for r in off if _ask(tutor, r["question"]).refusal is not None]
        refused_on = [r for r in on if _ask(tutor, r["question"]).refusal is not None]
        missed = [r["question"] for r in off if r not in refused_off]
        out[label] = {
            "off_topic": len(off),
            "off_topic_refused": len(refused_off),
            "in_scope": len(on),
            "in_scope_refused": len(refused_on),
            "wrongly_refused": [r["question"] for r in refused_on],
            "missed_sample": missed[:12],
        }
    for label, name in (("gold set 1", "gold_vi.jsonl"), ("gold set 2", "gold2_vi.jsonl")):
        rows = _rows(name)
        off = [r for r in rows if not r["answerable"]]
        on = [r for r in rows if r["answerable"]]
        answers = {r["id"]: _ask(tutor, r["question"], _history(r), r["level"]) for r in rows}
        manip_on = [r["question"] for r in on if (a := answers[r["id"]].refusal) and a.kind == RefusalKind.MANIPULATION]
        out[label] = {
            "off_topic": len(off),
            "off_topic_refused": sum(answers[r["id"]].refusal is not None for r in off),
            "in_scope": len(on),
            "in_scope_refused": sum(answers[r["id"]].refusal is not None for r in on),
            "wrongly_refused": [r["question"] for r in on if answers[r["id"]].refusal is not None],
            "manipulation_reply_on_answerable": len(manip_on),
        }
    return out


def manipulation_figures(tutor: Tutor, name: str = MANIPULATION_SET) -> dict[str, Any]:
    rows = _rows(name)
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    benign_hit: list[str] = []
    missed: list[str] = []
    for r in rows:
        answer = _ask(tutor, r["question"], _history(r))
        is_manip = answer.refusal is not None and answer.refusal.kind == RefusalKind.MANIPULATION
        if r["expected"] == "manipulation":
            total[r["kind"]] += 1
            total["all"] += 1
            caught[r["kind"]] += is_manip
            caught["all"] += is_manip
            if not is_manip:
                missed.append(r["question"])
        elif is_manip:
            benign_hit.append(r["question"])
    benign = sum(r["expected"] == "benign" for r in rows)
    return {
        "attempts": total["all"],
        "caught": caught["all"],
        "by_kind": {k: [caught[k], total[k]] for k in total if k != "all"},
        "benign": benign,
        "benign_given_the_reply": len(benign_hit),
        "benign_given_the_reply_list": benign_hit,
        "missed": missed,
    }


def safety_figures(settings: Settings, embedder: Any, modes: list[str]) -> dict[str, Any]:
    """Every manipulation-set question through each answer mode: canary leaks and unsafe sentences shown."""
    rows = _rows(MANIPULATION_SET)
    out: dict[str, Any] = {}
    for mode in modes:
        tutor = build_tutor(settings.model_copy(update={"answer_mode": mode}), embedder=embedder)
        leaks = unsafe = 0
        examples: list[str] = []
        started = time.perf_counter()
        for r in rows:
            answer = _ask(tutor, r["question"], _history(r))
            if canary_leaked(answer.text, tutor.prompts.canary):
                leaks += 1
            bad = [s for s in sentences(answer.text) if unsafe_advice(s)]
            if bad:
                unsafe += 1
                examples.append(bad[0])
        out[mode] = {"answers": len(rows), "canary_leaks": leaks, "unsafe": unsafe, "unsafe_examples": examples[:5]}
        out[mode]["wall_s"] = round(time.perf_counter() - started, 1)
    return out


def _letter(name: str) -> str:
    return name.removeprefix("manipulation_").split("_")[0]


def render(report: dict[str, Any]) -> str:
    fresh, trained = _letter(MANIPULATION_SET), _letter(MANIPULATION_TRAINED)
    lines = [
        f"# Gate: manipulation rules and classifier on set {fresh} (its one fresh measurement, round {ROUND}); scope"
        " as in round 3",
        "",
        f"Classifier: `{report['classifier']}`. Every question answered by `Tutor.answer` (composed) on the real e5 "
        "index. Gate time per question (after retrieval, which embeds the question anyway): "
        f"median {report['gate_ms']['p50']:.3f} ms, p95 {report['gate_ms']['p95']:.3f} ms.",
        "",
        "| set | off-topic refused | in-scope wrongly refused |",
        "|---|---:|---:|",
    ]
    for label, f in report["scope"].items():
        off = (
            f"{f['off_topic_refused']}/{f['off_topic']} ({100 * f['off_topic_refused'] / max(1, f['off_topic']):.1f}%)"
        )
        on = f"{f['in_scope_refused']}/{f['in_scope']} ({100 * f['in_scope_refused'] / max(1, f['in_scope']):.1f}%)"
        lines.append(f"| {label} | {off} | {on} |")
    m, t = report["manipulation"], report["manipulation_trained"]
    lines += [
        "",
        f"**Manipulation set {fresh}:** {m['caught']}/{m['attempts']} attempts got the manipulation reply "
        f"({100 * m['caught'] / max(1, m['attempts']):.1f}%); {m['benign_given_the_reply']}/{m['benign']} genuine "
        "questions got it wrongly. By kind: "
        + ", ".join(f"{k} {c}/{t}" for k, (c, t) in sorted(m["by_kind"].items()))
        + ".",
        "",
        f"Round-{ROUND - 1} manipulation set {trained} (trained on, and read for rules, since round {ROUND}): "
        f"{t['caught']}/{t['attempts']} attempts, "
        f"{t['benign_given_the_reply']}/{t['benign']} genuine questions given the reply.",
        "",
        "Manipulation reply on the gold sets' answerable questions: "
        + ", ".join(
            f"{k} {v['manipulation_reply_on_answerable']}/{v['in_scope']}"
            for k, v in report["scope"].items()
            if "manipulation_reply_on_answerable" in v
        )
        + ".",
    ]
    if report.get("safety"):
        lines += [
            "",
            "| answer mode | answers | canary leaks | answers with an unsafe sentence |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {k} | {v['answers']} | {v['canary_leaks']} | {v['unsafe']} |" for k, v in report["safety"].items()
        ]
    lines += ["", "## Missed off-topic questions (first of each set)", ""]
    for label, f in report["scope"].items():
        for q in f.get("missed_sample", [])[:6]:
            lines.append(f"- {label}: {q}")
    lines += ["", "## Wrongly refused in-scope questions", ""]
    for label, f in report["scope"].items():
        for q in f["wrongly_refused"]:
            lines.append(f"- {label}: {q}")
    lines += ["", "## Manipulation attempts missed", ""] + [f"- {q}" for q in m["missed"]]
    lines += ["", "## Genuine questions given the manipulation reply", ""]
    lines += [f"- {q}" for q in m["benign_given_the_reply_list"]]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llm", action="store_true", help="also answer the manipulation set with the embedded model")
    args = ap.parse_args()
    settings = Settings(answer_mode="composed")
    embedder = build_embedder(settings)
    tutor = build_tutor(settings, embedder=embedder)
    if tutor.gate is None:
        print("Không có cổng phạm vi (chưa dựng chỉ mục?).", file=sys.stderr)
        return 2
    classifier = tutor.gate.scope.model.data_sha256[:12] if tutor.gate.scope is not None else "none"
    if tutor.gate.manipulation_model is not None:
        classifier += f", manipulation `{tutor.gate.manipulation_model.data_sha256[:12]}`"
    gate_ms = []
    for q in ("cách nấu phở bò", "làm sao kích hoạt VNeID mức 2", "mo thay ran danh con gi"):
        hits = tutor.retriever.retrieve(q, tutor.k)
        for _ in range(50):
            t0 = time.perf_counter()
            tutor.gate.check(q, q, [], hits)
            gate_ms.append(1000 * (time.perf_counter() - t0))
    gate_ms.sort()
    report: dict[str, Any] = {
        "classifier": classifier,
        "gate_ms": {"p50": statistics.median(gate_ms), "p95": gate_ms[int(0.95 * len(gate_ms))]},
        "scope": scope_figures(tutor),
        "manipulation": manipulation_figures(tutor),
        "manipulation_trained": manipulation_figures(tutor, MANIPULATION_TRAINED),
    }
    if args.llm:
        report["safety"] = safety_figures(settings, embedder, ["quoted", "composed", "generated"])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "scope.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    md = render(report)
    (OUT / "scope.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
