"""The adaptation is real: with the embedded model, Cơ bản answers read easier than Nâng cao answers.

Not yet part of `make test`: its figures have not been measured on an idle machine (issue #5 stays open).
Run: .venv/bin/python -m pytest -s eval/adaptation_check.py -p no:cacheprovider --rootdir . -c pyproject.toml
"""

from __future__ import annotations

import importlib.util
import statistics
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.corpus.load import load_lessons
from tutor.evals.dataset import ItemType, load_gold
from tutor.evals.metrics import common_syllables, readability
from tutor.types import Level
from tutor.wiring import build_tutor

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.conftest"]
N_QUESTIONS = 20

pytestmark = [
    pytest.mark.timeout(1500),
    pytest.mark.slow,
    pytest.mark.llm,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="embedded extra not installed"),
]


def _questions() -> list:
    """20 how-to and fact questions from 20 different lessons, in a fixed order."""
    chosen, lessons = [], set()
    for item in load_gold(ROOT / "eval" / "datasets" / "gold_vi.jsonl"):
        if item.type in (ItemType.HOWTO, ItemType.FACT) and item.gold and item.gold.lesson not in lessons:
            chosen.append(item)
            lessons.add(item.gold.lesson)
        if len(chosen) == N_QUESTIONS:
            break
    return chosen


def test_co_ban_answers_have_shorter_sentences_and_fewer_rare_words(real_index: Settings, capsys):
    tutor = build_tutor(real_index.model_copy(update={"llm": "llamacpp", "max_tokens": 60, "llm_token_timeout": 120.0}))
    common = common_syllables(
        [s.text for lesson in load_lessons(real_index.lessons_dir) for s in lesson.sections], 1000
    )
    features: dict[Level, list] = {Level.CO_BAN: [], Level.NANG_CAO: []}
    by_llm = {Level.CO_BAN: 0, Level.NANG_CAO: 0}
    for item in _questions():
        for level in features:
            answer = tutor.answer(item.question, level, item.group)
            f = readability(answer.text, common)
            if f is not None:
                features[level].append(f)
            by_llm[level] += answer.model != "extractive"
    wps = {lv: statistics.mean(f.words_per_sentence for f in fs) for lv, fs in features.items()}
    rare = {lv: statistics.mean(f.rare_syllable_rate for f in fs) for lv, fs in features.items()}
    with capsys.disabled():
        print(
            f"\nadaptation over {N_QUESTIONS} questions: words/sentence co-ban {wps[Level.CO_BAN]:.1f} "
            f"nang-cao {wps[Level.NANG_CAO]:.1f}; rare-syllable rate co-ban {rare[Level.CO_BAN]:.3f} "
            f"nang-cao {rare[Level.NANG_CAO]:.3f}; written by the LLM co-ban {by_llm[Level.CO_BAN]} "
            f"nang-cao {by_llm[Level.NANG_CAO]} (the rest quoted from lessons after the guard)"
        )
    assert len(features[Level.CO_BAN]) >= N_QUESTIONS - 2
    assert wps[Level.CO_BAN] < wps[Level.NANG_CAO]
    assert rare[Level.CO_BAN] < rare[Level.NANG_CAO]
