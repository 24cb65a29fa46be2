"""How much of each gold answer's key points the LLM's context holds, for each way of filling it, and its cost.

Prints a Markdown table: for every answerable gold item with key points, the passages the tutor would show the
embedded model (best lesson first, its level section first), cut either by the old rule (each passage trimmed to
N characters after its first sentences) or by `tutor.answering.context.fit_passages` (the sentences sharing most
words with the question, within a total budget). "Key-point recall" is the share of key points whose accepted
wording appears in that context, accent-folded: an answer cannot cover what its context lacks. "Prompt tokens" is the
mean length of the user message in the embedded model's tokens, which is what delays the first word (the system prompt
is cached). Needs the built index and the embedded model: `make run` once, then
    .venv/bin/python eval/context_budget.py > eval/results/context_budget.md
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from pathlib import Path

from tutor.answering.context import fit_passages
from tutor.answering.prompts import Prompts
from tutor.answering.tutor import extract_passages
from tutor.config import Settings
from tutor.evals.dataset import load_gold
from tutor.evals.metrics import coverage
from tutor.llm.gguf import QWEN_05B, assemble
from tutor.safety.injection import screen_hits
from tutor.text import sentences
from tutor.types import Group, Hit, Level
from tutor.wiring import build_embedder, build_retriever

ROOT = Path(__file__).resolve().parent.parent


def truncate_each(n: int, chars: int) -> Callable[[str, Sequence[Hit], Level], list[Hit]]:
    """The rule before fit_passages: the first n passages, each cut after whole sentences at `chars`."""
    import dataclasses

    def cut(text: str) -> str:
        kept: list[str] = []
        for sent in sentences(text):
            if kept and sum(len(k) + 1 for k in kept) + len(sent) > chars:
                break
            kept.append(sent)
        return "\n".join(kept)

    def pick(question: str, hits: Sequence[Hit], level: Level) -> list[Hit]:
        return [
            dataclasses.replace(h, chunk=dataclasses.replace(h.chunk, text=cut(h.chunk.text)))
            for h in extract_passages(hits, level, n)
        ]

    return pick


def fit(n: int, budget: int) -> Callable[[str, Sequence[Hit], Level], list[Hit]]:
    def pick(question: str, hits: Sequence[Hit], level: Level) -> list[Hit]:
        return fit_passages(question, extract_passages(hits, level, n), budget)

    return pick


def main() -> None:
    from llama_cpp import Llama

    settings = Settings()
    retriever = build_retriever(settings, build_embedder(settings))
    vocab = Llama(model_path=str(assemble(QWEN_05B, settings.models_dir)), vocab_only=True, verbose=False)
    prompts = Prompts(settings.prompts_dir)
    items = [i for i in load_gold(ROOT / "eval" / "datasets" / "gold_vi.jsonl") if i.answerable and i.key_points]
    hits = {i.id: screen_hits(retriever.retrieve(i.question, settings.k, level=i.level, group=i.group)) for i in items}
    rules = {
        "2 passages, each cut at 450 chars (before)": truncate_each(2, 450),
        "1 passage cut at 450 chars": truncate_each(1, 450),
        "2 passages, each cut at 250 chars": truncate_each(2, 250),
        "fit_passages, 450 chars": fit(2, 450),
        "fit_passages, 600 chars (default)": fit(2, 600),
        "fit_passages, 900 chars": fit(2, 900),
        "all 4 passages whole (what the extractive answer quotes)": truncate_each(4, 100_000),
    }
    print(f"{len(items)} answerable gold items with key points; k={settings.k}\n")
    print("| context | key-point recall | chars | prompt tokens |")
    print("|---|---:|---:|---:|")
    for name, pick in rules.items():
        recalls, chars, tokens = [], [], []
        for item in items:
            level = Level(item.level)
            shown = pick(item.question, hits[item.id], level)
            context = "\n".join(h.chunk.text for h in shown)
            recalls.append(coverage(context, [(k.point, k.accept) for k in item.key_points], folded=True).score)
            chars.append(len(context))
            user = prompts.answer_messages(item.question, level, Group(item.group), shown)[-1].content
            tokens.append(len(vocab.tokenize(user.encode(), add_bos=False)))
        print(
            f"| {name} | {statistics.mean(recalls):.3f} | {statistics.mean(chars):.0f} | "
            f"{statistics.mean(tokens):.0f} |"
        )


if __name__ == "__main__":
    main()
