"""End to end, a classroom at once: 10 learners ask together through the real `tutor serve`, embedded llama.cpp
configured, once per answer mode; time to first words and to the final answer, and how many answers were degraded.

    .venv/bin/python eval/bench_classroom.py [--learners 10] [--questions 4] [--modes composed,lead,generated]
                                           [--json eval/results/bench_classroom.json]

Each learner asks its questions one after another over `POST /api/chat/stream` (server-sent events), all learners at
the same time. "First words" is the time to the first `token` event; "final" the time to the `answer` event, which
in the enriched modes carries the model's addition. Run by `make bench` after the retrieval benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tutor.evals.dataset import load_gold
from tutor.testing.service import free_port, running

ROOT = Path(__file__).resolve().parent.parent


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def ask(url: str, question: str, level: str) -> dict[str, Any]:
    started = time.perf_counter()
    first = final = None
    answer: dict[str, Any] = {}
    with httpx.stream("POST", f"{url}/api/chat/stream", json={"question": question, "level": level}, timeout=300) as r:
        if r.status_code != 200:
            return {"status": r.status_code}
        event = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
                if event == "token" and first is None:
                    first = time.perf_counter() - started
            elif line.startswith("data: ") and event == "answer":
                final = time.perf_counter() - started
                answer = json.loads(line[6:])
    return {"status": 200, "first": first if first is not None else final, "final": final, "answer": answer}


def run_mode(mode: str, learners: int, questions: list[tuple[str, str]], per_learner: int) -> dict[str, Any]:
    port = free_port()
    # The learners all come from this machine's one address: each stands for a learner with their own code (its own
    # caller), so the per-caller and anonymous budgets are lifted as they would be per token.
    env = {
        **os.environ,
        "TUTOR_ANSWER_MODE": mode,
        "TUTOR_LLM": "llamacpp",
        "TUTOR_PORT": str(port),
        "TUTOR_LLM_PER_CLIENT": "0",
        "TUTOR_RATE_LIMIT_CHAT_ANONYMOUS": "10000/minute",
        "TUTOR_RATE_LIMIT_CHAT": "10000/minute",
    }
    # Each learner gets its own questions, so nothing is answered from a warm cache of another learner's question.
    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    with running(
        [sys.executable, "-m", "tutor.cli", "serve", "--port", str(port)],
        f"http://127.0.0.1:{port}/readyz",
        env=env,
        cwd=ROOT,
        log=ROOT / "data" / f"bench-classroom-{mode}.log",
        timeout=300,
    ):
        url = f"http://127.0.0.1:{port}"
        ask(url, "làm sao bật wifi", "co-ban")  # warm-up: the model's system prompt, the embedder

        def learner(n: int) -> None:
            for question, level in questions[n * per_learner : (n + 1) * per_learner]:
                r = ask(url, question, level)
                with lock:
                    results.append(r)

        threads = [threading.Thread(target=learner, args=(n,)) for n in range(learners)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    ok = [r for r in results if r["status"] == 200]
    firsts = [r["first"] for r in ok if r["first"] is not None]
    finals = [r["final"] for r in ok if r["final"] is not None]
    answers = [r["answer"] for r in ok]
    return {
        "mode": mode,
        "learners": learners,
        "answers": len(ok),
        "errors": len(results) - len(ok),
        "first words p50 s": pct(firsts, 50),
        "first words p95 s": pct(firsts, 95),
        "final p50 s": pct(finals, 50),
        "final p95 s": pct(finals, 95),
        "degraded": sum(bool(a.get("degraded")) for a in answers),
        "LLM busy": sum(a.get("timings", {}).get("llm_busy", 0) == 1.0 for a in answers),
        "LLM output kept": sum(a.get("model", "").startswith(("composed+", "llamacpp")) for a in answers),
        "wall s": wall,
        "median syllables": statistics.median(len(a.get("answer", "").split()) for a in answers) if answers else 0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learners", type=int, default=10)
    ap.add_argument("--questions", type=int, default=4, help="questions per learner")
    ap.add_argument("--modes", default="composed,lead,generated")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    items = [i for i in load_gold(ROOT / "eval" / "datasets" / "gold_vi.jsonl") if i.answerable and not i.history]
    need = args.learners * args.questions
    step = max(1, len(items) // need)
    questions = [(i.question, i.level.value) for i in items[::step]][:need]
    rows = [run_mode(mode, args.learners, questions, args.questions) for mode in args.modes.split(",")]
    cols = [
        "answers",
        "errors",
        "first words p50 s",
        "first words p95 s",
        "final p50 s",
        "final p95 s",
        "degraded",
        "LLM busy",
    ]
    print(f"\n{args.learners} learners at once, {args.questions} questions each, embedded llama.cpp configured")
    print(f"{'mode':12s}" + "".join(f"{c:>19s}" for c in [*cols, "LLM output kept"]))
    for r in rows:
        cells = "".join(f"{r[c]:19.2f}" if isinstance(r[c], float) else f"{r[c]:19d}" for c in cols)
        print(f"{r['mode']:12s}{cells}{r['LLM output kept']:19d}")
    if args.json:
        args.json.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
