"""CLI for the quiz bank's upkeep: `tutor quiz calibrate | dif | apply | versions` (operator)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from tutor.cli.common import err, load_settings, out, run
from tutor.errors import ConfigError
from tutor.learner.errors import LearnerInputError

if TYPE_CHECKING:
    from tutor.config import Settings
    from tutor.learner.bank_store import QuizBankStore
    from tutor.learner.bankversion import VersionedBank
    from tutor.learner.calibration import AnswerLog
    from tutor.learner.dif import DifResult

quiz_app = typer.Typer(
    help="Ngân hàng câu hỏi: hiệu chỉnh độ khó từ câu trả lời, kiểm tra công bằng, áp dụng phiên bản mới.",
    no_args_is_help=True,
)
#: Without any other prior, every learner's ability for the fairness audit starts from this one (logits).
AUDIT_PRIOR = (0.0, 2.0)


@contextmanager
def _steps() -> Iterator[Callable[[str], None]]:
    """A rich progress line per step; the previous step is marked done when the next one starts."""
    from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    # transient: on an error only the one-line message stays on screen.
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        current: list[TaskID] = []

        def step(message: str) -> None:
            if current:
                progress.update(current[-1], total=1, completed=1)
            current.append(progress.add_task(escape(message), total=None))

        yield step
        if current:
            progress.update(current[-1], total=1, completed=1)


def _need_extra() -> None:
    try:
        import mirt  # noqa: F401
        import statsmodels  # noqa: F401
    except ImportError:
        raise ConfigError(
            "Thiếu gói hiệu chỉnh (mirt, statsmodels): chạy .venv/bin/pip install -e '.[calibrate]' rồi thử lại."
        ) from None


@contextmanager
def _bank(settings: Settings) -> Iterator[tuple[QuizBankStore, VersionedBank]]:
    """The bank's versions and answers in the learner store, and the bank as written; the store is closed after."""
    from tutor.corpus.load import load_lessons
    from tutor.learner.bankversion import VersionedBank
    from tutor.wiring import build_bank_versions, load_written_bank, open_learner_store

    written = load_written_bank(settings, load_lessons(settings.lessons_dir))
    with open_learner_store(settings) as store:
        versions = build_bank_versions(store)
        yield versions, VersionedBank(written, versions)


def _answers(versions: QuizBankStore) -> AnswerLog:
    log = versions.answer_log()
    if not log.answers:
        raise LearnerInputError(
            "Kho học viên chưa có câu trả lời nào (xếp lớp hoặc luyện tập); chờ học viên làm bài rồi chạy lại."
        )
    return log


def _print_dif(results: list[DifResult], limit: int = 20) -> None:
    review = [r for r in results if r.ets != "A"]
    if not review:
        out.print(f"Công bằng: không câu nào có DIF đáng kể ({len(results)} phép so sánh đủ dữ liệu).")
        return
    from rich.table import Table

    table = Table("câu", "so sánh", "ETS", "Δ (SE)", "n xét / đối chiếu", title="Câu cần xem lại vì công bằng (DIF)")
    for r in review[:limit]:
        table.add_row(
            r.item_id, r.comparison, r.ets, f"{r.delta:+.2f} ({r.delta_se:.2f})", f"{r.n_focal}/{r.n_reference}"
        )
    out.print(table)
    flagged = sum(r.flagged for r in review)
    out.print(f"{flagged} câu loại C (cần xem lại), {len(review) - flagged} câu loại B (theo dõi).")


@quiz_app.command("calibrate")
def calibrate_cmd(
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Tệp đề xuất JSON (mặc định: <data_dir>/calibration/…).")
    ] = None,
    min_answers: Annotated[int, typer.Option("--min-answers", min=1, help="Số câu trả lời tối thiểu để đổi.")] = 30,
    anchor: Annotated[
        list[str] | None, typer.Option("--anchor", help="Câu neo (lặp lại); mặc định: mọi câu đủ câu trả lời.")
    ] = None,
) -> None:
    """Ước lượng lại độ khó (Rasch) từ câu trả lời đã lưu; ghi ĐỀ XUẤT và báo cáo, chưa đổi gì."""
    settings = load_settings()

    def body() -> None:
        from dataclasses import replace

        from tutor.learner.calibration import DEFAULT_CALIBRATION, calibrate
        from tutor.learner.dif import audit
        from tutor.learner.proposal import report_markdown, to_json

        _need_extra()
        with _bank(settings) as (versions, banks), _steps() as step:
            step("Đọc câu trả lời đã lưu")
            log = _answers(versions)
            based_on, bank = banks.current()
            config = replace(DEFAULT_CALIBRATION, min_answers=min_answers)
            result = calibrate(bank, log, based_on=based_on, anchors=anchor, config=config, progress=step)
            step("Kiểm tra công bằng (DIF) giữa các nhóm và kiểu gõ")
            dif = audit(log, result.abilities)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        target = out_file or settings.data_dir / "calibration" / f"proposal-{stamp}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(to_json(result, dif), encoding="utf-8")
        report = target.with_suffix(".md")
        report.write_text(report_markdown(result, dif, target), encoding="utf-8")
        changed = sum(i.apply for i in result.items)
        flagged = sum(bool(i.flags) for i in result.items)
        out.print(
            f"Đề xuất: đổi độ khó {changed}/{len(result.items)} câu (phiên bản gốc {based_on}); "
            f"{flagged} câu cần xem lại."
        )
        _print_dif(dif)
        out.print(f"Đã ghi đề xuất {escape(str(target))} và báo cáo {escape(str(report))}.")
        out.print(f"Xem lại rồi áp dụng: tutor quiz apply {escape(str(target))}")

    run(body)


@quiz_app.command("dif")
def dif_cmd(
    min_per_side: Annotated[int, typer.Option("--min-per-side", min=5, help="Câu trả lời tối thiểu mỗi bên.")] = 30,
) -> None:
    """Kiểm tra công bằng với độ khó đang dùng: câu khó bất thường với một nhóm hoặc người gõ không dấu."""
    settings = load_settings()

    def body() -> None:
        from dataclasses import replace

        from tutor.learner.calibration import person_abilities
        from tutor.learner.dif import DEFAULT_DIF, audit

        _need_extra()
        with _bank(settings) as (versions, banks):
            log = _answers(versions)
            _, bank = banks.current()
        abilities = person_abilities(log, {i.id: i.difficulty for i in bank}, *AUDIT_PRIOR)
        _print_dif(audit(log, abilities, config=replace(DEFAULT_DIF, min_per_side=min_per_side)), limit=50)

    run(body)


@quiz_app.command("apply")
def apply_cmd(
    proposal: Annotated[Path, typer.Argument(help="Tệp đề xuất do `tutor quiz calibrate` ghi ra (đã xem lại).")],
    note: Annotated[str | None, typer.Option("--note", help="Ghi chú cho phiên bản này.")] = None,
) -> None:
    """Áp dụng đề xuất: ghi một phiên bản ngân hàng câu hỏi mới; bài xếp lớp từ nay dùng phiên bản này."""
    settings = load_settings()

    def body() -> None:
        from tutor.learner.bank_store import StaleProposalError
        from tutor.learner.proposal import ProposalError, read_proposal

        doc = read_proposal(proposal)
        with _bank(settings) as (versions, banks):
            current_id, bank = banks.current()
            if doc.file.based_on != current_id:
                raise StaleProposalError(
                    f"Đề xuất được tính trên phiên bản {doc.file.based_on} nhưng ngân hàng đang ở phiên bản "
                    f"{current_id}; chạy lại `tutor quiz calibrate` rồi áp dụng đề xuất mới."
                )
            difficulties, changed = doc.difficulties(bank, {i.id: i.difficulty for i in bank})
            if changed == 0:
                raise ProposalError('Đề xuất không đổi độ khó câu nào ("apply": true); không có gì để áp dụng.')
            version = versions.add_version(
                based_on=current_id, proposal_sha256=doc.sha256, note=note, difficulties=difficulties, n_changed=changed
            )
        out.print(f"Đã áp dụng: phiên bản {version.id} (đổi {changed} câu). Bài xếp lớp mới dùng phiên bản này.")

    run(body)


@quiz_app.command("versions")
def versions_cmd() -> None:
    """Các phiên bản ngân hàng câu hỏi đã áp dụng và số bài xếp lớp của mỗi phiên bản."""
    settings = load_settings()

    def body() -> None:
        with _bank(settings) as (versions, _):
            rows, used = versions.versions(), versions.placements_by_version()
        from rich.table import Table

        table = Table("phiên bản", "lúc", "dựa trên", "câu đổi", "bài xếp lớp", "ghi chú")
        table.add_row("0", "", "", "", str(used.get(0, 0)), "như viết trong corpus/quiz/")
        for v in rows:
            when = f"{v.created_at:%Y-%m-%d %H:%M}" if v.created_at else ""
            table.add_row(str(v.id), when, str(v.based_on), str(v.n_changed), str(used.get(v.id, 0)), v.note or "")
        out.print(table)

    run(body)
