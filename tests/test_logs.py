"""Redacted JSON-lines logs, tagged by learner, and purging one learner's lines (also while others write)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.logs import learner_context, log_dir_for, purge_learner_logs, setup_logging


@pytest.fixture
def log() -> Iterator[logging.Logger]:
    logger = logging.getLogger("tutor.test-logs")
    yield logger
    for h in list(logging.getLogger("tutor").handlers):
        logging.getLogger("tutor").removeHandler(h)
        h.close()


def _lines(log_dir: Path) -> list[str]:
    return [ln for p in sorted(log_dir.glob("tutor-*.jsonl")) for ln in p.read_text(encoding="utf-8").splitlines()]


def test_records_are_redacted_json_lines_tagged_with_the_learner(tmp_path: Path, log: logging.Logger):
    log_dir = log_dir_for(tmp_path)
    setup_logging(log_dir)
    learner = str(uuid.uuid4())
    log.info("câu hỏi: số tôi 0912345678, mã OTP 123456", extra={"learner_id": learner})
    with learner_context(learner):
        log.warning("trả lời %s", "đã gửi")
    try:
        raise ValueError("CCCD 001203012345")
    except ValueError:
        log.exception("lỗi khi xử lý")
    rows = [json.loads(ln) for ln in _lines(log_dir)]
    assert len(rows) == 3
    assert rows[0]["learner_id"] == rows[1]["learner_id"] == learner and "learner_id" not in rows[2]
    text = "\n".join(_lines(log_dir))
    for secret in ("0912345678", "123456", "001203012345"):
        assert secret not in text
    assert "[đã ẩn số điện thoại]" in rows[0]["msg"] and rows[1]["msg"] == "trả lời đã gửi"
    assert "ValueError" in rows[2]["exc"]


def test_purge_removes_every_line_that_names_the_learner_and_keeps_the_others(tmp_path: Path, log: logging.Logger):
    log_dir = log_dir_for(tmp_path)
    setup_logging(log_dir)
    gone, stays = str(uuid.uuid4()), str(uuid.uuid4())
    log.info("đăng nhập", extra={"learner_id": gone})
    log.info("đăng nhập", extra={"learner_id": stays})
    with learner_context(gone):
        log.info("hỏi về VNeID")
    log.info("học viên HV-K7Q2M9ZA hỏi lại")  # untagged, names the pseudonym
    log.info("quản trị xem hồ sơ %s", gone)  # untagged, names the id
    log.info('bí danh "Bà Tư" đã đổi')  # a quoted pseudonym with a space, escaped by JSON
    log.info("An toàn OTP: bài học được xem")  # shares no whole word with the pseudonym
    (log_dir / "tutor-2024-01-01.jsonl").write_text(
        json.dumps({"msg": "cũ", "learner_id": gone}) + "\n" + '{"msg": "dòng cắt cụt của HV-K7Q2M9ZA', encoding="utf-8"
    )
    before = len(_lines(log_dir))

    removed = purge_learner_logs(log_dir, gone, pseudonym="HV-K7Q2M9ZA")
    assert removed == 6
    left = _lines(log_dir)
    assert len(left) == before - removed
    assert not any(gone in ln or "HV-K7Q2M9ZA" in ln for ln in left)
    assert sum(stays in ln for ln in left) == 1 and any("An toàn OTP" in ln for ln in left)
    assert purge_learner_logs(log_dir, stays, pseudonym="Bà Tư") == 2
    assert not any("Bà Tư" in json.loads(ln)["msg"] for ln in _lines(log_dir))
    assert purge_learner_logs(log_dir, gone) == 0  # nothing left to remove
    with pytest.raises(ValueError):
        purge_learner_logs(log_dir, "")


def test_no_line_is_lost_when_purging_while_another_thread_and_another_process_write(
    tmp_path: Path, log: logging.Logger
):
    log_dir = log_dir_for(tmp_path)
    setup_logging(log_dir)
    gone, other = str(uuid.uuid4()), str(uuid.uuid4())
    n = 300
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import logging, sys\n"
            "from pathlib import Path\n"
            "from tutor.logs import setup_logging\n"
            "setup_logging(Path(sys.argv[1]))\n"
            "log = logging.getLogger('tutor.child')\n"
            f"for i in range({n}):\n"
            "    log.info('child %d', i, extra={'learner_id': sys.argv[2] if i % 2 else sys.argv[3]})\n",
            str(log_dir),
            other,
            gone,
        ]
    )

    def write() -> None:
        for i in range(n):
            log.info("thread %d", i, extra={"learner_id": other if i % 2 else gone})

    writer = threading.Thread(target=write)
    writer.start()
    while writer.is_alive() or child.poll() is None:
        purge_learner_logs(log_dir, gone)
    writer.join()
    assert child.wait(30) == 0
    purge_learner_logs(log_dir, gone)
    rows = [json.loads(ln) for ln in _lines(log_dir)]  # every line is whole JSON
    assert all(r["learner_id"] == other for r in rows)
    assert sum(r["msg"].startswith("thread") for r in rows) == n // 2
    assert sum(r["msg"].startswith("child") for r in rows) == n // 2
