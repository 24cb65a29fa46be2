"""Compare two scored runs item by item: deltas, pass→fail items, McNemar, paired bootstrap, and the gate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tutor.evals.records import RunError, RunManifest, load_run
from tutor.evals.scoring import ItemMetrics
from tutor.evals.stats import Estimate, McNemar, mcnemar, paired_bootstrap_diff

#: The paired differences the gate and the report look at: (label, metric attribute).
DIFFS = (
    ("focused pass rate", "focused_passed"),
    ("pass rate", "passed"),
    ("hit@5 (section)", "hit5_section"),
    ("coverage (folded)", "coverage_folded"),
    ("answer syllables", "answer_syllables"),
)
#: A drop in these whose whole 95% CI lies below zero is a regression.
GATED = ("passed", "hit5_section")


@dataclass(frozen=True)
class ItemDelta:
    id: str
    type: str
    safety_critical: bool
    passed_a: bool
    passed_b: bool
    hit5_a: float | None
    hit5_b: float | None
    coverage_a: float | None
    coverage_b: float | None


@dataclass(frozen=True)
class Comparison:
    run_a: str
    run_b: str
    paired: int
    only_a: int
    only_b: int
    deltas: tuple[ItemDelta, ...]
    pass_to_fail: tuple[str, ...]
    fail_to_pass: tuple[str, ...]
    new_safety_failures: tuple[str, ...]
    mcnemar: McNemar
    #: The same test on the focused pass (pass plus the level's length budget).
    mcnemar_focused: McNemar | None = None
    diffs: dict[str, Estimate | None] = field(default_factory=dict)
    regression_reasons: tuple[str, ...] = ()

    @property
    def regression(self) -> bool:
        return bool(self.regression_reasons)


def load_scored(run_dir: Path) -> tuple[RunManifest, dict[str, ItemMetrics]]:
    """A run's metrics by item id; a run that was never scored cannot be compared."""
    manifest, records = load_run(run_dir)
    scored = {r.id: ItemMetrics.from_dict(r.metrics) for r in records if r.metrics is not None}
    if not scored:
        raise RunError(f"Lần chạy {run_dir} chưa được chấm điểm. Chạy `tutor eval report {run_dir}` trước.")
    return manifest, scored


def _values(pairs: Sequence[tuple[ItemMetrics, ItemMetrics]], attr: str) -> tuple[list[float], list[float]]:
    a: list[float] = []
    b: list[float] = []
    for ma, mb in pairs:
        va, vb = getattr(ma, attr), getattr(mb, attr)
        if va is None or vb is None:
            continue
        a.append(float(va))
        b.append(float(vb))
    return a, b


def compare_runs(run_a: Path, run_b: Path) -> Comparison:
    """B is the candidate, A the baseline. Items are paired by id; both runs must share the dataset."""
    man_a, a = load_scored(run_a)
    man_b, b = load_scored(run_b)
    if man_a.dataset_sha256 != man_b.dataset_sha256:
        raise RunError(
            f"Hai lần chạy dùng tập dữ liệu khác nhau ({man_a.dataset_sha256[:12]} ≠ {man_b.dataset_sha256[:12]}): "
            "không so sánh được."
        )
    ids = [i for i in a if i in b]
    if not ids:
        raise RunError("Hai lần chạy không có câu hỏi chung nào để so sánh.")
    pairs = [(a[i], b[i]) for i in ids]
    deltas = tuple(
        ItemDelta(
            id=ma.id,
            type=ma.type,
            safety_critical=ma.safety_critical,
            passed_a=ma.passed,
            passed_b=mb.passed,
            hit5_a=ma.hit5_section,
            hit5_b=mb.hit5_section,
            coverage_a=ma.coverage_folded,
            coverage_b=mb.coverage_folded,
        )
        for ma, mb in pairs
    )
    pass_to_fail = tuple(d.id for d in deltas if d.passed_a and not d.passed_b)
    fail_to_pass = tuple(d.id for d in deltas if not d.passed_a and d.passed_b)
    new_safety = tuple(d.id for d in deltas if d.safety_critical and d.passed_a and not d.passed_b)
    diffs = {attr: paired_bootstrap_diff(*_values(pairs, attr)) for _, attr in DIFFS}
    reasons: list[str] = []
    if new_safety:
        reasons.append(f"{len(new_safety)} câu an toàn trọng yếu chuyển từ đạt sang trượt: {', '.join(new_safety)}")
    labels = {attr: label for label, attr in DIFFS}
    for attr in GATED:
        est = diffs.get(attr)
        if est is not None and est.high < 0:
            reasons.append(
                f"{labels[attr]} giảm {est.mean:+.3f}, khoảng tin cậy 95% [{est.low:+.3f}, {est.high:+.3f}] nằm dưới 0"
            )
    return Comparison(
        run_a=man_a.name,
        run_b=man_b.name,
        paired=len(ids),
        only_a=len(a) - len(ids),
        only_b=len(b) - len(ids),
        deltas=deltas,
        pass_to_fail=pass_to_fail,
        fail_to_pass=fail_to_pass,
        new_safety_failures=new_safety,
        mcnemar=mcnemar(len(pass_to_fail), len(fail_to_pass)),
        mcnemar_focused=mcnemar(
            sum(ma.focused_passed and not mb.focused_passed for ma, mb in pairs),
            sum(mb.focused_passed and not ma.focused_passed for ma, mb in pairs),
        ),
        diffs=diffs,
        regression_reasons=tuple(reasons),
    )


def _signed(est: Estimate | None) -> str:
    if est is None:
        return "–"
    return f"{est.mean:+.3f} [{est.low:+.3f}, {est.high:+.3f}] (n={est.n})"


def render_comparison(c: Comparison) -> str:
    """Markdown for the terminal: differences B − A with paired 95% bootstrap CIs, then the changed items."""
    mc = c.mcnemar
    lines = [
        f"# Compare `{c.run_a}` (A) → `{c.run_b}` (B)",
        "",
        f"{c.paired} paired items" + (f"; {c.only_a} only in A, {c.only_b} only in B" if c.only_a or c.only_b else ""),
        "",
        "| metric | B − A [95% paired bootstrap CI] |",
        "|---|---:|",
        *[f"| {label} | {_signed(c.diffs.get(attr))} |" for label, attr in DIFFS],
        "",
        f"McNemar ({mc.method}): pass→fail {mc.b}, fail→pass {mc.c}, p = {mc.p_value:.4f}",
        *(
            [f"McNemar on the focused pass ({mf.method}): pass→fail {mf.b}, fail→pass {mf.c}, p = {mf.p_value:.4f}"]
            if (mf := c.mcnemar_focused) is not None
            else []
        ),
        "",
        f"pass→fail ({len(c.pass_to_fail)}): {', '.join(c.pass_to_fail) or 'none'}",
        f"fail→pass ({len(c.fail_to_pass)}): {', '.join(c.fail_to_pass) or 'none'}",
        "",
        "**REGRESSION**: " + "; ".join(c.regression_reasons) if c.regression else "No regression.",
    ]
    return "\n".join(lines) + "\n"
