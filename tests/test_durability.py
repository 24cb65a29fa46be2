"""kill -9 in the middle of writes: every learner and answer the store acknowledged survives, and the file is sound."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# The child acknowledges an id on stdout only after LearnerStore's commits returned.
WRITER = """
import sys
from tutor.learner.quizbank import QuizItem
from tutor.learner.store import LearnerStore
from tutor.types import Level

store = LearnerStore(sys.argv[1])
item = QuizItem("otp-1", "an-toan-otp", "Có nên đọc mã OTP cho người lạ?", ("Có", "Không"), 1, "Không bao giờ.",
                "4.2", 4, Level.CO_BAN, -0.5)
print("ready", flush=True)
i = 0
while True:
    learner = store.create_learner("nguoi-dan", consent=True)
    store.record_answer(learner.id, item, correct=i % 3 != 0)
    store.add_history(learner.id, "chat", {"question": "bật wifi thế nào", "i": i, "pad": "x" * (i % 700)})
    print(learner.id, flush=True)
    i += 1
"""


def _acknowledged(proc: subprocess.Popen[str], at_least: int, timeout: float) -> list[str]:
    """Read acknowledged ids until `at_least` arrived, then kill -9 the writer and read what it had already printed."""
    assert proc.stdout is not None
    got: list[str] = []
    enough = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.endswith("\n") and line.strip() != "ready":  # a line cut by the kill is not an acknowledgement
                got.append(line.strip())
            if len(got) >= at_least:
                enough.set()
        enough.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert enough.wait(timeout), f"the writer acknowledged only {len(got)} ids in {timeout}s"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    reader.join(10)
    assert proc.returncode == -signal.SIGKILL
    return got


def test_every_acknowledged_write_survives_kill_9(tmp_path: Path):
    db = tmp_path / "learners.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    acknowledged: list[str] = []
    for round_, at_least in enumerate((40, 150, 400)):  # kill at different points of the file's life
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, f"sqlite:///{db}"], stdout=subprocess.PIPE, text=True, env=env
        )
        started = time.monotonic()
        ids = _acknowledged(proc, at_least, timeout=120)
        print(f"round {round_}: {len(ids)} acknowledged in {time.monotonic() - started:.1f}s, then SIGKILL")
        acknowledged += ids

        conn = sqlite3.connect(db)
        try:
            assert [r[0] for r in conn.execute("PRAGMA integrity_check")] == ["ok"]
            learners = {r[0] for r in conn.execute("SELECT id FROM learners")}
            answered = {r[0] for r in conn.execute("SELECT learner_id FROM history WHERE kind = 'answer'")}
            chats = {r[0] for r in conn.execute("SELECT learner_id FROM history WHERE kind = 'chat'")}
            skills = {r[0] for r in conn.execute("SELECT learner_id FROM competence_skill")}
        finally:
            conn.close()
        missing = [i for i in acknowledged if i not in learners or i not in answered or i not in chats]
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:3]}"
        assert set(acknowledged) <= skills
        # An answer is written with its skill rating in one transaction: never one without the other.
        assert answered == skills
