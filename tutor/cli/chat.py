"""CLI for learners and trainers: ask one question, chat with follow-ups, or serve the web pages and API."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from tutor.cli.common import err, load_settings, out, run
from tutor.errors import ConfigError, InvalidQuestionError
from tutor.types import Answer, Group, Level, Message, Token

if TYPE_CHECKING:
    from tutor.answering.tutor import Tutor
    from tutor.config import Settings
    from tutor.learner.store import LearnerStore

SaveAnswer = Callable[[Answer], None]

#: Turns of conversation the REPL keeps for follow-ups (the same as a web session passes).
HISTORY_TURNS = 6
_QUIT = {"/thoat", "/thoát", "/quit", "/exit"}
_RESET = {"/moi", "/mới", "/new"}


def print_sources(answer: Answer) -> None:
    if answer.citations:
        out.print("\n[bold]Nguồn:[/]")
    for c in answer.citations:
        out.print(f"  [{c.n}] {escape(c.lesson_title)} — {escape(c.section_title)} ({c.lesson_id}#{c.section_id})")
    if answer.degraded:
        out.print("[yellow](degraded: trả lời từ bài học, không qua mô hình)[/]")


def stream_answer(tutor: Tutor, question: str, level: Level, group: Group, history: Sequence[Message] = ()) -> Answer:
    """Print the answer as it streams (a spinner until the first word), then its sources; return it."""
    answer: Answer | None = None
    pieces: list[str] = []
    status = err.status("Đang tìm trong bài học…")
    status.start()
    events = tutor.stream(question, level, group, history)
    try:
        for event in events:
            if isinstance(event, Token):
                if not pieces:
                    status.stop()
                pieces.append(event.text)
                sys.stdout.write(event.text)
                sys.stdout.flush()
            else:
                answer = event
    finally:
        status.stop()
        close = getattr(events, "close", None)
        if close is not None:  # on Ctrl-C: closing Tutor.stream closes the model's stream, which stops it
            close()
    assert answer is not None
    if not pieces:
        print(answer.text)
    elif answer.text.strip() != "".join(pieces).strip():
        # The streamed draft was replaced (LLM failed mid-answer, or the guard rejected it).
        out.print(f"\n\n[yellow]{escape(answer.notice or '')}[/]")
        print(answer.text)
    else:
        print()
    print_sources(answer)
    return answer


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
        if not as_json:
            stream_answer(tutor, question, level, group)
            return
        answer = tutor.answer(question, level, group)
        print(json.dumps(AnswerOut.from_answer(answer).model_dump(mode="json"), ensure_ascii=False, indent=2))

    run(body)


def chat(
    level: Annotated[
        Level | None, typer.Option("--level", "-l", help="Trình độ (mặc định: theo học viên, hoặc Cơ bản).")
    ] = None,
    group: Annotated[
        Group | None, typer.Option("--group", "-g", help="Nhóm (mặc định: theo học viên, hoặc người dân).")
    ] = None,
    learner: Annotated[
        str | None, typer.Option("--learner", help="Lưu cuộc trò chuyện vào hồ sơ học viên này (xem trên web).")
    ] = None,
) -> None:
    """Trò chuyện nhiều lượt: câu hỏi tiếp theo hiểu theo các lượt trước. /moi để bắt đầu lại; Ctrl-D để thoát."""
    settings = load_settings()

    def body() -> None:
        from contextlib import ExitStack

        from tutor.wiring import build_tutor, open_learner_store

        with ExitStack() as stack:
            lvl, grp, save = level or Level.CO_BAN, group or Group.NGUOI_DAN, None
            if learner is not None:
                store = stack.enter_context(open_learner_store(settings))
                lvl, grp, save = _learner_session(settings, store, learner, level, group)
            tutor = build_tutor(settings)
            err.print(
                f"Trình độ {lvl.label}, nhóm {grp.label}. Gõ câu hỏi rồi Enter; /moi: bắt đầu lại; Ctrl-D: thoát."
            )
            _repl(tutor, lvl, grp, save)

    run(body)


def _learner_session(
    settings: Settings, store: LearnerStore, learner_id: str, level: Level | None, group: Group | None
) -> tuple[Level, Group, SaveAnswer]:
    """The learner's own level and group, and a new web-visible session each answer is saved to."""
    from tutor.wiring import build_accounts, build_chat_sessions

    pitched_level, pitched_group = build_accounts(settings, store).pitch(learner_id, level, group)
    sessions = build_chat_sessions(store)
    session = sessions.create(learner_id)

    def save(answer: Answer) -> None:
        sessions.add_exchange(learner_id, session.id, answer)

    return pitched_level, pitched_group, save


def _repl(tutor: Tutor, level: Level, group: Group, save: SaveAnswer | None = None) -> None:
    history: list[Message] = []
    while True:
        try:
            line = input("\nBạn: ")
        except (EOFError, KeyboardInterrupt):
            err.print("\nTạm biệt!")
            return
        question = line.strip()
        if not question:
            continue
        if question.lower() in _QUIT:
            err.print("Tạm biệt!")
            return
        if question.lower() in _RESET:
            history.clear()
            err.print("Đã bắt đầu cuộc trò chuyện mới.")
            continue
        try:
            answer = stream_answer(tutor, question, level, group, history)
        except InvalidQuestionError as exc:
            err.print(f"[red]{escape(str(exc))}[/]")
            continue
        except KeyboardInterrupt:
            # Ctrl-C while the answer streams stops that answer only; the generator is closed with it.
            err.print("\n(đã dừng câu trả lời)")
            continue
        if save is not None:
            save(answer)
        history = [*history, Message("user", answer.question), Message("assistant", answer.text)][-HISTORY_TURNS:]


def serve(
    host: Annotated[str | None, typer.Option(help="Địa chỉ lắng nghe.")] = None,
    port: Annotated[int | None, typer.Option(help="Cổng.")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Số tiến trình cùng phục vụ một cổng (hơn 1 cần TUTOR_REDIS_URL).")
    ] = None,
) -> None:
    """Chạy trang trò chuyện và API JSON."""
    settings = load_settings()
    changes = {"host": host, "port": port, "workers": workers}
    settings = settings.model_copy(update={k: v for k, v in changes.items() if v})

    def body() -> None:
        import uvicorn

        from tutor.api.app import create_app

        # No access log: its lines name learners in URLs (/api/learners/<id>), unredacted, where deleting a learner
        # cannot purge them. The service's own log (<data_dir>/logs) is redacted and purged on deletion.
        if settings.workers == 1:
            application = create_app(settings)
            err.print(f"Trợ giảng đang chạy ở http://{settings.host}:{settings.port}")
            uvicorn.run(application, host=settings.host, port=settings.port, log_level="info", access_log=False)
            return
        _prepare_workers(settings)
        try:
            from tutor.api.workers import serve_workers
        except ImportError as exc:
            raise ConfigError("Chạy nhiều tiến trình cần gói gunicorn: `pip install -e '.[scale]'`.") from exc

        err.print(f"Trợ giảng đang chạy ở http://{settings.host}:{settings.port} với {settings.workers} tiến trình")
        serve_workers(settings)

    run(body)


def _prepare_workers(settings: Settings) -> None:
    """Before the workers start: refuse without Redis, check Redis answers, migrate the learner database once."""
    import os

    from tutor.wiring import build_learner_store, check_workers

    check_workers(settings)
    try:
        from tutor.ops.redis_state import SharedStateError, connect
    except ImportError as exc:
        raise ConfigError("TUTOR_REDIS_URL cần thư viện redis: chạy `pip install -e '.[scale]'`.") from exc
    client = connect(settings.redis_url)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to reach it is the same advice
        raise SharedStateError(
            f"Không kết nối được Redis ở TUTOR_REDIS_URL ({type(exc).__name__}). Khởi động Redis hoặc sửa địa chỉ."
        ) from exc
    finally:
        client.close()
    # Migrated here, once: N workers opening an empty database at the same moment would race the first migration.
    build_learner_store(settings).close()
    # The workers read their settings from the environment; they must know how many they are (for the same check).
    os.environ["TUTOR_WORKERS"] = str(settings.workers)
