"""`tutor cert verify`: a signed certificate passes offline; any edit to it fails with exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tutor.cli.cert import cert_app
from tutor.config import Settings
from tutor.learner.cert import build_final_test, grade_final_test, issue_certificate, load_or_create_signing_key
from tutor.learner.quizbank import load_quiz_bank

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
app = typer.Typer()
app.add_typer(cert_app, name="cert")


@pytest.fixture
def issued(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("TUTOR_DATA_DIR", str(settings.data_dir))
    bank = load_quiz_bank(ROOT / "corpus" / "quiz")
    test = build_final_test(bank, "nguoi-dan", seed=1)
    result = grade_final_test(test, {item.id: item.answer for item in test.items})
    key = load_or_create_signing_key(settings.signing_key_path)
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(issue_certificate(result, "HV-TEST1234", key), ensure_ascii=False), encoding="utf-8")
    return path


def test_a_certificate_issued_here_verifies_offline(issued: Path):
    r = runner.invoke(app, ["cert", "verify", str(issued)])
    assert r.exit_code == 0, r.output
    assert "hợp lệ" in r.output and "HV-TEST1234" in r.output


def test_an_edited_certificate_fails(issued: Path):
    doc = json.loads(issued.read_text(encoding="utf-8"))
    doc["payload"]["group"] = "cong-chuc"
    issued.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(app, ["cert", "verify", str(issued)])
    assert r.exit_code == 1 and "Không hợp lệ" in r.output


def test_a_certificate_checked_against_another_issuers_key_fails(issued: Path, tmp_path: Path):
    other = load_or_create_signing_key(tmp_path / "other.pem")
    from tutor.learner.cert import public_key_pem

    pem = tmp_path / "other.pub.pem"
    pem.write_bytes(public_key_pem(other))
    r = runner.invoke(app, ["cert", "verify", str(issued), "--public-key", str(pem)])
    assert r.exit_code == 1 and "khóa khác" in r.output


def test_missing_file_is_a_message_not_a_traceback(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TUTOR_DATA_DIR", str(settings.data_dir))
    r = runner.invoke(app, ["cert", "verify", "/khong/co/tep.json"])
    assert r.exit_code == 2 and "Traceback" not in r.output
