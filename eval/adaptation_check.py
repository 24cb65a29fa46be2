"""The adaptation is real: with the embedded model, Cơ bản answers read easier than Nâng cao answers.

Two surface features: words per sentence, and the share of words that are not in the Vietnamese dictionary
(English jargon, brand names), which the Cơ bản prompt forbids. The corpus rare-syllable rate is printed too but not
asserted: it counts the everyday words the Cơ bản prompt asks for ("như chìa khóa nhà") as rare, because the lessons
seldom use them. The answers and figures are written to eval/results/adaptation.json.
Run: .venv/bin/python -m pytest -s eval/adaptation_check.py -p no:cacheprovider --rootdir . -c pyproject.toml
"""

from __future__ import annotations

import importlib.util
import json
import statistics
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.corpus.load import load_lessons
from tutor.evals.dataset import ItemType, load_gold
from tutor.evals.metrics import common_syllables, foreign_word_rate, readability
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
    foreign: dict[Level, list[float]] = {Level.CO_BAN: [], Level.NANG_CAO: []}
    by_llm = {Level.CO_BAN: 0, Level.NANG_CAO: 0}
    answers = []
    for item in _questions():
        for level in features:
            answer = tutor.answer(item.question, level, item.group)
            f = readability(answer.text, common)
            rate = foreign_word_rate(answer.text)
            if f is not None and rate is not None:
                features[level].append(f)
                foreign[level].append(rate)
            by_llm[level] += answer.model != "extractive"
            answers.append({"id": item.id, "level": level.value, "model": answer.model, "text": answer.text})
    wps = {lv: statistics.mean(f.words_per_sentence for f in fs) for lv, fs in features.items()}
    rare = {lv: statistics.mean(f.rare_syllable_rate for f in fs) for lv, fs in features.items()}
    jargon = {lv: statistics.mean(rates) for lv, rates in foreign.items()}
    figures = {
        lv.value: {
            "words_per_sentence": wps[lv],
            "foreign_word_rate": jargon[lv],
            "rare_syllable_rate": rare[lv],
            "written_by_llm": by_llm[lv],
        }
        for lv in features
    }
    out = ROOT / "eval" / "results" / "adaptation.json"
    out.write_text(json.dumps({"figures": figures, "answers": answers}, ensure_ascii=False, indent=1), encoding="utf-8")
    with capsys.disabled():
        print(f"\nadaptation over {N_QUESTIONS} questions: {json.dumps(figures)}")
    assert len(features[Level.CO_BAN]) >= N_QUESTIONS - 2
    assert wps[Level.CO_BAN] < wps[Level.NANG_CAO]
    assert jargon[Level.CO_BAN] < jargon[Level.NANG_CAO]
