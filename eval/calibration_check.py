"""Issue #18's figures from one simulation: calibration recovery, placement before/after, exposure, fairness audit.

    .venv/bin/python eval/calibration_check.py      # or `make calibration`; writes eval/results/calibration.md/json

1. The TRUE bank: every written difficulty plus noise of SD 0.7 logits (what real answers would reveal).
2. 1,000 simulated learners (every group crossed with every level, as in tests/learner/test_placement_sim.py) take
   the placement that learners get (randomesque, on the written bank in use), then practise 8 lessons drawn by
   popularity (a Zipf law over the group's lessons: a few core lessons are practised by most learners). Answers
   follow the true bank. A third type their chat questions without diacritics. Two items are planted unfair:
   1 logit harder for citizens (nguoi-dan), and 1 logit harder for learners typing without diacritics.
3. `calibrate` (the function behind `tutor quiz calibrate`) fits the answers; the proposal is applied as proposed.
4. 4,000 FRESH learners are placed with the written bank (before), the calibrated bank (after) and the true bank,
   answering by the true bank; the oracle (15 items at each learner's own ability) is the bound. Learners within
   0.25 logit of a cut are left out, as in the placement simulation's headline figure.
5. Exposure: the share of placements that showed each item, maximum information against randomesque.
6. The fairness audit (`tutor quiz dif`) on the 1,000 learners' answers.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.learner.test_placement_sim import INDIFFERENCE, THETA_MAX, THETA_MIN, oracle, population  # noqa: E402
from tutor.corpus.load import load_lessons  # noqa: E402
from tutor.learner.bankversion import with_difficulties  # noqa: E402
from tutor.learner.calibration import (  # noqa: E402
    PLACEMENT_SOURCE,
    PRACTICE_SOURCE,
    AnswerLog,
    AnswerRecord,
    applied_difficulties,
    calibrate,
)
from tutor.learner.cert import final_test_exposure  # noqa: E402
from tutor.learner.dif import audit  # noqa: E402
from tutor.learner.exposure import exposure_rates  # noqa: E402
from tutor.learner.placement import (  # noqa: E402
    DEFAULT_CONFIG,
    SERVING_CONFIG,
    PlacementConfig,
    PlacementTest,
    level_for_theta,
    rasch_p,
)
from tutor.learner.quizbank import QuizItem, load_quiz_bank  # noqa: E402
from tutor.types import Group  # noqa: E402

SEED = 2026
NOISE_SD = 0.7
CALIBRATION_LEARNERS = 1000
FRESH_LEARNERS = 4000
LESSONS_PRACTISED = 8
PLAIN_TYPISTS = 1 / 3
DIF_LOGITS = 1.0
EXPOSURE_CAP = 0.25
RESULTS = ROOT / "eval" / "results"


def _pick_planted(bank: list[QuizItem], ranked_lessons: list[str]) -> tuple[str, str]:
    """The planted items: in the most and the second most popular lesson, the item nearest the middle (b ≈ 0)."""

    def middle(lesson: str) -> str:
        return min((i for i in bank if i.lesson_id == lesson), key=lambda i: (abs(i.difficulty), i.id)).id

    return middle(ranked_lessons[0]), middle(ranked_lessons[1])


def simulate_answers(
    written: list[QuizItem], truth: dict[str, float], lessons_of: dict[Group, list[str]], ranked: list[str]
) -> tuple[AnswerLog, str, str]:
    rng = np.random.default_rng(SEED)
    pick = random.Random(SEED)
    group_item, typing_item = _pick_planted(written, ranked)
    by_lesson: dict[str, list[QuizItem]] = {}
    for item in written:
        by_lesson.setdefault(item.lesson_id, []).append(item)
    answers: list[AnswerRecord] = []
    groups: dict[str, Group] = {}
    questions: dict[str, tuple[str, ...]] = {}
    people = population(CALIBRATION_LEARNERS, DEFAULT_CONFIG.boundaries, 0.0, SEED, (THETA_MIN, THETA_MAX))
    for k, (theta, group) in enumerate(people):
        lid = f"hv-{k:04d}"
        plain = bool(rng.random() < PLAIN_TYPISTS)
        groups[lid] = group
        questions[lid] = (
            ("lam sao kich hoat tai khoan dinh danh muc 2",) if plain else ("làm sao kích hoạt VNeID mức 2",)
        )

        def answer(item_id: str, _theta: float = theta, _group: Group = group, _plain: bool = plain) -> bool:
            b = truth[item_id]
            b += DIF_LOGITS if item_id == group_item and _group is Group.NGUOI_DAN else 0.0
            b += DIF_LOGITS if item_id == typing_item and _plain else 0.0
            return bool(rng.random() < rasch_p(_theta, b))

        seen: set[str] = set()
        session = PlacementTest(written, group, config=SERVING_CONFIG, rng=pick)
        while (item := session.next_item()) is not None:
            correct = answer(item.id)
            session.record(item.id, correct)
            answers.append(AnswerRecord(lid, item.id, correct, PLACEMENT_SOURCE))
            seen.add(item.id)
        mine = lessons_of[group]
        weights = np.array([1.0 / (1 + ranked.index(lesson)) for lesson in mine])
        chosen = rng.choice(len(mine), size=min(LESSONS_PRACTISED, len(mine)), replace=False, p=weights / weights.sum())
        for j in chosen:
            for item in by_lesson.get(mine[int(j)], []):
                if item.id not in seen:
                    seen.add(item.id)
                    answers.append(AnswerRecord(lid, item.id, answer(item.id), PRACTICE_SOURCE))
    return AnswerLog(tuple(answers), groups, questions), group_item, typing_item


def place(
    used: list[QuizItem], truth: dict[str, float], config: PlacementConfig, seed: int
) -> tuple[float, float, dict[str, float]]:
    """Accuracy (overall level, domain levels) and item exposure of placements that choose items by `used` while
    learners answer by `truth`."""
    rng = np.random.default_rng(seed + 1)
    pick = random.Random(seed)
    hits, domain_hits, draws = [], [], []
    for theta, group in population(FRESH_LEARNERS, config.boundaries, INDIFFERENCE, seed, (THETA_MIN, THETA_MAX)):
        session = PlacementTest(used, group, config=config, rng=pick)
        while (item := session.next_item()) is not None:
            session.record(item.id, bool(rng.random() < rasch_p(theta, truth[item.id])))
        result, right = session.result(), level_for_theta(theta, config.boundaries)
        hits.append(result.level is right)
        domain_hits.extend(e.level is right for e in result.domains.values())
        draws.append(session.asked)
    return float(np.mean(hits)), float(np.mean(domain_hits)), exposure_rates(draws)


def main() -> None:
    t0 = time.perf_counter()
    lessons = load_lessons(ROOT / "corpus" / "lessons")
    written = load_quiz_bank(ROOT / "corpus" / "quiz")
    noise = np.random.default_rng(SEED + 7).normal(0.0, NOISE_SD, len(written))
    truth = {item.id: item.difficulty + float(e) for item, e in zip(written, noise, strict=True)}
    true_bank = with_difficulties(written, truth)
    with_items = sorted({i.lesson_id for i in written})
    ranked = list(with_items)
    random.Random(SEED).shuffle(ranked)  # popularity order, independent of difficulty
    lessons_of = {
        g: [lesson.id for lesson in lessons if lesson.id in with_items and (not lesson.groups or g in lesson.groups)]
        for g in Group
    }

    log, group_item, typing_item = simulate_answers(written, truth, lessons_of, ranked)
    t_sim = time.perf_counter()
    calibration = calibrate(written, log, based_on=0, progress=lambda m: print("  " + m, flush=True))
    t_cal = time.perf_counter()
    proposed = {i.id: i.proposed for i in calibration.items if i.proposed is not None}
    applied = [i for i in calibration.items if i.apply]
    ids_applied = [i.id for i in applied]
    ids_fitted = list(proposed)
    r_applied = float(np.corrcoef([proposed[i] for i in ids_applied], [truth[i] for i in ids_applied])[0, 1])
    r_fitted = float(np.corrcoef([proposed[i] for i in ids_fitted], [truth[i] for i in ids_fitted])[0, 1])
    r_written = float(np.corrcoef([i.difficulty for i in written], [truth[i.id] for i in written])[0, 1])
    calibrated_bank = with_difficulties(written, applied_difficulties(calibration))
    rmse_before = float(np.sqrt(np.mean([(i.difficulty - truth[i.id]) ** 2 for i in written])))
    rmse_after = float(np.sqrt(np.mean([(i.difficulty - truth[i.id]) ** 2 for i in calibrated_bank])))
    per_item = Counter(a.item_id for a in log.answers)

    print("Placing fresh learners…", flush=True)
    best = oracle(DEFAULT_CONFIG, margin=INDIFFERENCE, seed=SEED + 100, learners=FRESH_LEARNERS)
    rows = {}
    for name, used, config in (
        ("true bank, maximum information", true_bank, DEFAULT_CONFIG),
        ("true bank, randomesque (served)", true_bank, SERVING_CONFIG),
        ("written bank = before calibration, randomesque", written, SERVING_CONFIG),
        ("calibrated bank = after calibration, randomesque", calibrated_bank, SERVING_CONFIG),
        ("calibrated bank, maximum information", calibrated_bank, DEFAULT_CONFIG),
    ):
        acc, dom, expo = place(used, truth, config, SEED + 100)
        rows[name] = {"accuracy": acc, "domains": dom, "max_exposure": max(expo.values()), "items_used": len(expo)}
        print(f"  {name}: {acc:.1%} (domains {dom:.1%}), max exposure {max(expo.values()):.1%}", flush=True)
    t_place = time.perf_counter()

    dif = audit(log, calibration.abilities)
    flagged = [r for r in dif if r.flagged]
    planted = {(group_item, "nhóm nguoi-dan / các nhóm khác"), (typing_item, "gõ không dấu / gõ có dấu")}
    found = {(r.item_id, r.comparison) for r in flagged}
    final_exposure = {g.value: max(final_test_exposure(written, g).values()) for g in Group}

    after = rows["calibrated bank = after calibration, randomesque"]["accuracy"]
    before = rows["written bank = before calibration, randomesque"]["accuracy"]
    plain, spread = rows["true bank, maximum information"], rows["true bank, randomesque (served)"]
    figures = {
        "seed": SEED,
        "noise_sd": NOISE_SD,
        "calibration": {
            "learners": CALIBRATION_LEARNERS,
            "answers": len(log.answers),
            "answers_per_item_median": float(np.median([per_item.get(i.id, 0) for i in written])),
            "items_fitted": len(ids_fitted),
            "items_applied": len(ids_applied),
            "never_shown": sum("never-shown" in i.flags for i in calibration.items),
            "misfit_flagged": sum("misfit" in i.flags for i in calibration.items),
            "r_written_truth": r_written,
            "r_recovered_truth_applied": r_applied,
            "r_recovered_truth_all_fitted": r_fitted,
            "rmse_bank_before": rmse_before,
            "rmse_bank_after": rmse_after,
            "anchor_mean_written": calibration.anchor_mean,
            "anchor_mean_after": float(np.mean([proposed[a] for a in calibration.anchors])),
            "ability_sd": calibration.ability_sd,
            "seconds": round(t_cal - t_sim, 1),
        },
        "placement": {
            "fresh_learners": FRESH_LEARNERS,
            "oracle": best,
            "rows": rows,
            "before": before,
            "after": after,
            "after_minus_oracle_points": round((after - best) * 100, 2),
        },
        "exposure": {
            "cap": EXPOSURE_CAP,
            "max_info_max_exposure": plain["max_exposure"],
            "randomesque_max_exposure": spread["max_exposure"],
            "accuracy_drop_points": round((plain["accuracy"] - spread["accuracy"]) * 100, 2),
            "final_test_max_exposure_by_group": final_exposure,
        },
        "dif": {
            "planted": sorted(f"{i} ({c})" for i, c in planted),
            "planted_answers": {group_item: per_item[group_item], typing_item: per_item[typing_item]},
            "tests": len(dif),
            "flagged": [
                {"item": r.item_id, "comparison": r.comparison, "delta": r.delta, "se": r.delta_se, "ets": r.ets}
                for r in flagged
            ],
            "class_b": sum(r.ets == "B" for r in dif),
            "planted_all_flagged": planted <= found,
            "unplanted_flagged": len(found - planted),
        },
        "seconds": round(time.perf_counter() - t0, 1),
        "placement_seconds": round(t_place - t_cal, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "calibration.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    (RESULTS / "calibration.md").write_text(render(figures), encoding="utf-8")
    print(render(figures))


def render(f: dict) -> str:  # type: ignore[type-arg]
    c, p, e, d = f["calibration"], f["placement"], f["exposure"], f["dif"]
    lines = [
        "# Calibration, exposure and fairness (simulation)",
        "",
        "`make calibration` (`.venv/bin/python eval/calibration_check.py`), seed "
        f"{f['seed']}, {f['seconds']} s. True difficulties = written + N(0, {f['noise_sd']}).",
        "",
        "## Recovery",
        "",
        f"- {c['learners']} learners, {c['answers']} answers (median {c['answers_per_item_median']:.0f} per item); "
        f"{c['items_fitted']} items fitted, {c['items_applied']} with ≥ 30 answers applied, {c['never_shown']} never "
        f"shown; mirt fit {c['seconds']} s.",
        f"- Correlation with the true difficulties: written {c['r_written_truth']:.3f} → recovered "
        f"**{c['r_recovered_truth_applied']:.3f}** (applied items; all fitted items "
        f"{c['r_recovered_truth_all_fitted']:.3f}).",
        f"- RMSE of the bank in use against the truth: {c['rmse_bank_before']:.3f} → {c['rmse_bank_after']:.3f} "
        "logits.",
        f"- Anchor mean (all applied items): {c['anchor_mean_written']:+.4f} written, {c['anchor_mean_after']:+.4f} "
        f"after; ability SD found {c['ability_sd']:.2f}. Items flagged misfitting (infit outside 0.7–1.3) although "
        f"the model is true: {c['misfit_flagged']}.",
        "",
        "## Placement on fresh learners",
        "",
        f"{p['fresh_learners']} learners, ±0.25 logit around the cuts left out. Oracle bound: **{p['oracle']:.1%}**.",
        "",
        "| items chosen by | right level | domain levels | max item exposure | items used |",
        "|---|---|---|---|---|",
    ]
    for name, r in p["rows"].items():
        lines.append(
            f"| {name} | {r['accuracy']:.1%} | {r['domains']:.1%} | {r['max_exposure']:.1%} | {r['items_used']} |"
        )
    lines += [
        "",
        f"Before calibration {p['before']:.1%}, after **{p['after']:.1%}**: {p['after_minus_oracle_points']:+.2f} "
        "points from the oracle bound.",
        "",
        "## Exposure",
        "",
        f"- Placement: maximum information showed one item to {e['max_info_max_exposure']:.1%} of placements; "
        f"randomesque (5 best) **{e['randomesque_max_exposure']:.1%}** (cap {e['cap']:.0%}); accuracy drop "
        f"{e['accuracy_drop_points']:+.2f} points (negative: randomesque placed more learners right).",
        "- Certificate test, largest share of tests showing one item (5 items per domain, equal chances): "
        + ", ".join(f"{g} {v:.1%}" for g, v in e["final_test_max_exposure_by_group"].items())
        + ". Domain 1 has 19 eligible items, so 5/19 = 26%: more Cơ bản/Trung cấp items there would lower it.",
        "",
        "## Fairness audit (Mantel-Haenszel, ETS C after Benjamini-Hochberg)",
        "",
        f"- Planted: {', '.join(d['planted'])} ("
        + ", ".join(f"{k}: {v} answers" for k, v in d["planted_answers"].items())
        + ").",
        f"- {d['tests']} item × comparison tests with ≥ 30 answers per side; flagged: "
        + (
            ", ".join(f"{r['item']} ({r['comparison']}, Δ {r['delta']:+.2f} ± {r['se']:.2f})" for r in d["flagged"])
            or "none"
        )
        + f". Class B (watch): {d['class_b']}.",
        f"- Every planted item flagged: **{d['planted_all_flagged']}**; unplanted items flagged: "
        f"**{d['unplanted_flagged']}**.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
