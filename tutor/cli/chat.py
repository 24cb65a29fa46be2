"""CLI for learners and trainers: ask one question, or serve the chat page and API."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from tutor.cli.common import err, load_settings, out, run
from tutor.types import Answer, Group, Level, Token


def ask(
    question: Annotated[str, typer.Argument(help='Câu hỏi, ví dụ: "Làm sao bật Wi-Fi?"')],
    level: Annotated[Level, typer.Option("--level", "-l", help="Trình độ người học.")] = Level.CO_BAN,
    group: Annotated[Group, typer.Option("--group", "-g", help="Nhóm người học.")] = Group.NGUOI_DAN,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
) -> None:
    """Hỏi một câu và in câu trả lời kèm nguồn bài học."""
    settings = load_settings()

    def body() -> None:
        from tutor.api.schemas import AnswerOut
        from tutor.wiring import build_tutor

        tutor = build_tutor(settings)
        answer: Answer | None = None
        pieces: list[str] = []
        for event in tutor.stream(question, level, group):
            if isinstance(event, Token):
                pieces.append(event.text)
                if not as_json:
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
            else:
                answer = event
        assert answer is not None
        if as_json:
            print(json.dumps(AnswerOut.from_answer(answer).model_dump(mode="json"), ensure_ascii=False, indent=2))
            return
        if not pieces:
            print(answer.text)
        elif answer.text.strip() != "".join(pieces).strip():
            # The streamed draft was replaced (LLM failed mid-answer, or the guard rejected it).
            out.print(f"\n\n[yellow]{answer.notice or ''}[/]")
            print(answer.text)
        else:
            print()
        out.print("\n[bold]Nguồn:[/]")
        for c in answer.citations:
            out.print(f"  [{c.n}] {c.lesson_title} — {c.section_title} ({c.lesson_id}#{c.section_id})")
        if answer.degraded:
            out.print("[yellow](degraded: trả lời từ bài học, không qua mô hình)[/]")

    run(body)


def serve(
    host: Annotated[str | None, typer.Option(help="Địa chỉ lắng nghe.")] = None,
    port: Annotated[int | None, typer.Option(help="Cổng.")] = None,
) -> None:
    """Chạy trang trò chuyện và API JSON."""
    settings = load_settings()
    if host:
        settings = settings.model_copy(update={"host": host})
    if port:
        settings = settings.model_copy(update={"port": port})

    def body() -> None:
        import uvicorn

        from tutor.api.app import create_app

        application = create_app(settings)
        err.print(f"Trợ giảng đang chạy ở http://{settings.host}:{settings.port}")
        uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")

    run(body)
