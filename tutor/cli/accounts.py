"""CLI for people and access: `tutor learner create|show|delete` and `tutor token create|list|revoke`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from tutor.cli.common import err, load_settings, out, run
from tutor.learner import AGE_BANDS
from tutor.types import Group

learner_app = typer.Typer(help="Hồ sơ học viên: tạo (cần đồng ý), xem tiến độ, xóa hẳn.", no_args_is_help=True)
token_app = typer.Typer(help="Mã truy cập cho học viên, tập huấn viên, quản trị viên.", no_args_is_help=True)


@learner_app.command("create")
def learner_create(
    group: Annotated[Group, typer.Option("--group", "-g", help="Nhóm người học.")],
    consent: Annotated[
        bool,
        typer.Option("--consent", help="Người học đã đồng ý rõ ràng cho lưu tiến độ (Nghị định 13/2023/NĐ-CP)."),
    ] = False,
    age_band: Annotated[str | None, typer.Option("--age-band", help=f"Nhóm tuổi: {', '.join(AGE_BANDS)}.")] = None,
    pseudonym: Annotated[str | None, typer.Option("--pseudonym", help="Bí danh (bỏ trống: tự đặt).")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Tên học viên muốn được gọi trên các trang (ví dụ: Bác Lan).")
    ] = None,
    with_token: Annotated[bool, typer.Option("--token", help="Tạo luôn mã học viên và in ra một lần.")] = False,
) -> None:
    """Tạo hồ sơ học viên. Không có --consent thì từ chối: im lặng không phải là đồng ý."""
    settings = load_settings()

    def body() -> None:
        from tutor.wiring import open_accounts

        with open_accounts(settings) as accounts:
            learner, issued = accounts.enrol(
                group, consent, age_band=age_band, pseudonym=pseudonym, display_name=name, token=with_token
            )
        out.print(f"id: {learner.id}\nbí danh: {escape(learner.pseudonym)}\nnhóm: {learner.group.label}")
        if learner.display_name:
            out.print(f"tên gọi: {escape(learner.display_name)}")
        if issued is not None:
            out.print(f"mã học viên (chỉ hiện một lần): {issued.secret}")

    run(body)


@learner_app.command("show")
def learner_show(learner_id: Annotated[str, typer.Argument(help="Mã (id) học viên.")]) -> None:
    """Trình độ từng lĩnh vực, kỹ năng, bài nên học tiếp và chứng nhận của một học viên."""
    settings = load_settings()

    def body() -> None:
        from rich.table import Table

        from tutor.corpus.load import load_lessons
        from tutor.learner.path import DOMAIN_NAMES
        from tutor.wiring import build_learner_service, open_learner_store

        lessons = {lesson.id: lesson for lesson in load_lessons(settings.lessons_dir)}
        with open_learner_store(settings) as store:
            p = build_learner_service(settings, store, lessons).profile(learner_id)
        who = p.learner
        called = f" ({escape(who.display_name)})" if who.display_name else ""
        out.print(f"[bold]{escape(who.pseudonym)}[/]{called} · {who.group.label} · trình độ chung: {p.level.label}")
        out.print(f"đồng ý lưu dữ liệu lúc: {who.consent_at:%Y-%m-%d %H:%M} UTC")
        if p.levels:
            table = Table("lĩnh vực", "trình độ", "θ", "SE", title="Trình độ theo lĩnh vực")
            for d in sorted(p.levels.values(), key=lambda d: d.domain):
                name = f"{d.domain}. {DOMAIN_NAMES.get(d.domain, '')}"
                table.add_row(name, d.level.label, f"{d.theta:+.2f}", f"{d.se:.2f}")
            out.print(table)
        else:
            out.print("Chưa làm bài xếp lớp.")
        out.print("[bold]Bài nên học tiếp:[/]")
        for r in p.recommendations:
            title = lessons[r.lesson_id].title if r.lesson_id in lessons else r.lesson_id
            out.print(f"  • {escape(title)} ({r.lesson_id}) — {escape(r.reason)}")
        for change in p.level_changes:
            out.print(f"  {change.at:%Y-%m-%d}: {escape(change.reason)}" if change.at else f"  {escape(change.reason)}")
        out.print(f"Chứng nhận: {len(p.certificates)}")

    run(body)


@learner_app.command("delete")
def learner_delete(
    learner_id: Annotated[str, typer.Argument(help="Mã (id) học viên.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Không hỏi lại.")] = False,
) -> None:
    """Xóa hẳn mọi dữ liệu của học viên: hồ sơ, trình độ, trò chuyện, góp ý, mã truy cập, chứng nhận."""
    settings = load_settings()
    if not yes and not typer.confirm(f"Xóa hẳn học viên {learner_id}? Không khôi phục được.", default=False):
        err.print("Đã hủy, không xóa gì.")
        raise typer.Exit(1)

    def body() -> None:
        from tutor.wiring import open_accounts

        with open_accounts(settings) as accounts:
            counts = accounts.erase(learner_id)
        total = sum(counts.values())
        detail = ", ".join(f"{table} {n}" for table, n in counts.items() if n)
        out.print(f"Đã xóa {total} dòng ({detail}).")

    run(body)


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option("--role", "-r", help="learner | trainer | operator")],
    learner: Annotated[str | None, typer.Option("--learner", help="Học viên của mã (bắt buộc với learner).")] = None,
) -> None:
    """Tạo mã truy cập và in nó ra MỘT lần; máy chủ chỉ giữ mã băm sha256."""
    settings = load_settings()

    def body() -> None:
        from tutor.wiring import open_accounts

        with open_accounts(settings) as accounts:
            issued = accounts.tokens.create(role, learner)
        err.print(f"Đã tạo mã {issued.info.id} cho {issued.info.role.label}. Chép lại ngay: mã không hiện lại lần nữa.")
        print(issued.secret)

    run(body)


@token_app.command("list")
def token_list(
    learner: Annotated[str | None, typer.Option("--learner", help="Chỉ mã của học viên này.")] = None,
) -> None:
    """Liệt kê mã truy cập (id, vai trò, học viên, ngày tạo, thu hồi) — không bao giờ in bí mật."""
    settings = load_settings()

    def body() -> None:
        from tutor.wiring import open_accounts

        with open_accounts(settings) as accounts:
            tokens = accounts.tokens.find(learner_id=learner)
        # Plain columns, never cut: an id is copied from here into `tutor token revoke`, whatever the terminal width.
        rows = [("id", "vai trò", "học viên", "tạo lúc", "thu hồi lúc")]
        for t in tokens:
            revoked = f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "-"
            rows.append((t.id, t.role.value, t.learner_id or "-", f"{t.created_at:%Y-%m-%d %H:%M}", revoked))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if not tokens:
            err.print("Chưa có mã truy cập nào.")

    run(body)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="id của mã, hoặc vài ký tự đầu của nó (xem `tutor token list`).")],
) -> None:
    """Thu hồi một mã: từ đó mọi yêu cầu dùng mã này nhận 401. Gõ đủ id, hoặc phần đầu chỉ khớp một mã."""
    settings = load_settings()

    def body() -> None:
        from tutor.wiring import open_accounts

        with open_accounts(settings) as accounts:
            info = accounts.tokens.revoke(token_id)
        out.print(f"Đã thu hồi mã {info.id} ({info.role.label}).")

    run(body)
