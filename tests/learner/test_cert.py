"""Certificates: final test per group, pass rules, Ed25519 signing and offline verification."""

from __future__ import annotations

import copy
import datetime as dt
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tutor.learner.cert import (
    FINAL_TEST_LEVELS,
    GROUP_DOMAINS,
    ITEMS_PER_DOMAIN,
    FinalTest,
    build_final_test,
    canonical_json,
    final_test_from_ids,
    grade_final_test,
    issue_certificate,
    load_or_create_signing_key,
    public_key_pem,
    verify_certificate,
)
from tutor.learner.errors import CertificateNotEarnedError, InvalidAnswerError, SigningKeyError
from tutor.learner.quizbank import QuizItem
from tutor.types import Group, Level


def _answers(test: FinalTest, wrong: int = 0, wrong_domain: int | None = None) -> dict[str, int]:
    """Right answers except `wrong` items: taken in turn from each domain, or all from `wrong_domain`."""
    by_domain = {d: [i for i in test.items if i.domain == d] for d in test.domains}
    order = by_domain[wrong_domain] if wrong_domain is not None else []
    if wrong_domain is None:
        depth = max(len(v) for v in by_domain.values())
        order = [v[k] for k in range(depth) for v in by_domain.values() if k < len(v)]
    missed = {item.id for item in order[:wrong]}
    assert len(missed) == wrong
    return {i.id: (i.answer + 1) % len(i.options) if i.id in missed else i.answer for i in test.items}


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def passed_cert(real_bank: list[QuizItem], key: Ed25519PrivateKey) -> dict[str, Any]:
    test = build_final_test(real_bank, Group.NGUOI_DAN, seed="hv-1:1")
    result = grade_final_test(test, _answers(test, wrong=2))
    return issue_certificate(result, "HV-LANHUE", key, issued_on=dt.date(2026, 11, 29))


@pytest.mark.parametrize("group", list(Group))
def test_final_test_covers_each_required_domain_across_competences(real_bank: list[QuizItem], group: Group) -> None:
    test = build_final_test(real_bank, group, seed="learner-a:1")
    assert test.domains == tuple(sorted(GROUP_DOMAINS[group]))
    assert len(test.items) == ITEMS_PER_DOMAIN * len(GROUP_DOMAINS[group]) == len(set(test.item_ids))
    assert all(item.level in (Level.CO_BAN, Level.TRUNG_CAP) for item in test.items)
    for domain in test.domains:
        competences = {i.competence for i in test.items if i.domain == domain}
        available = {i.competence for i in real_bank if i.domain == domain and i.level in FINAL_TEST_LEVELS}
        assert len(competences) >= min(len(available), ITEMS_PER_DOMAIN, 2)
    assert build_final_test(real_bank, group, seed="learner-a:1") == test
    assert build_final_test(real_bank, group, seed="learner-a:2") != test
    assert final_test_from_ids(real_bank, group, test.item_ids) == test


def test_lessons_written_for_other_groups_are_left_out(real_bank: list[QuizItem]) -> None:
    only_servants = {"cong-chuc-van-ban-dien-tu": ["cong-chuc"]}
    for seed in range(20):
        test = build_final_test(real_bank, Group.NGUOI_DAN, seed=seed, lesson_groups=only_servants)
        assert all(i.lesson_id != "cong-chuc-van-ban-dien-tu" for i in test.items)


def test_pass_needs_70_percent_overall_and_half_of_every_domain(real_bank: list[QuizItem]) -> None:
    test = build_final_test(real_bank, Group.NGUOI_DAN, seed=3)  # 15 items, 5 per domain
    assert grade_final_test(test, _answers(test)).passed
    four_wrong = grade_final_test(test, _answers(test, wrong=4))
    assert four_wrong.score == pytest.approx(11 / 15) and four_wrong.passed
    five_wrong = grade_final_test(test, _answers(test, wrong=5))
    assert five_wrong.score == pytest.approx(10 / 15) and not five_wrong.passed
    weak_domain = grade_final_test(test, _answers(test, wrong=3, wrong_domain=4))
    assert weak_domain.score == pytest.approx(12 / 15) and weak_domain.domain_scores[4] == pytest.approx(0.4)
    assert not weak_domain.passed
    unanswered = grade_final_test(test, {})
    assert unanswered.n_correct == 0 and not unanswered.passed


def test_answers_outside_the_test_are_refused(real_bank: list[QuizItem]) -> None:
    test = build_final_test(real_bank, Group.LAO_DONG, seed=1)
    outsider = next(i for i in real_bank if i.id not in test.item_ids)
    with pytest.raises(InvalidAnswerError):
        grade_final_test(test, {outsider.id: 0})
    with pytest.raises(InvalidAnswerError):
        grade_final_test(test, {test.items[0].id: 9})


def test_certificate_round_trip_verifies(passed_cert: dict[str, Any], key: Ed25519PrivateKey) -> None:
    payload = passed_cert["payload"]
    assert payload["learner"] == "HV-LANHUE" and payload["group"] == "nguoi-dan" and payload["level"] == "co-ban"
    assert payload["issued_on"] == "2026-11-29" and payload["competences"]
    for as_given in (passed_cert, json.dumps(passed_cert, ensure_ascii=False), canonical_json(passed_cert)):
        result = verify_certificate(as_given, public_key_pem(key))
        assert result.valid, result.reason
        assert result.payload == payload


def _leaves(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _tampered(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    return str(value) + "x" if value else "x"


def test_changing_any_field_breaks_verification(passed_cert: dict[str, Any], key: Ed25519PrivateKey) -> None:
    paths = list(_leaves(passed_cert["payload"]))
    assert len(paths) >= 12
    for path in paths:
        doc = copy.deepcopy(passed_cert)
        target = doc["payload"]
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = _tampered(target[path[-1]])
        result = verify_certificate(doc, key.public_key())
        assert not result.valid, path
        assert result.reason
    added = copy.deepcopy(passed_cert)
    added["payload"]["so_dien_thoai"] = "0912345678"
    assert not verify_certificate(added, key.public_key()).valid
    bad_sig = copy.deepcopy(passed_cert)
    bad_sig["signature"]["value"] = bad_sig["signature"]["value"][:-4] + "AAA="
    assert "bị sửa" in verify_certificate(bad_sig, key.public_key()).reason


def test_wrong_key_fails_with_a_clear_reason(passed_cert: dict[str, Any]) -> None:
    other = Ed25519PrivateKey.generate()
    result = verify_certificate(passed_cert, other.public_key())
    assert not result.valid and "khóa khác" in result.reason


def test_garbage_is_rejected_without_raising(key: Ed25519PrivateKey) -> None:
    assert not verify_certificate(b"not json", key.public_key()).valid
    assert not verify_certificate({"payload": {}}, key.public_key()).valid
    assert not verify_certificate({"payload": {"a": 1}, "signature": "x"}, key.public_key()).valid


def test_issuing_for_a_failed_test_is_refused(real_bank: list[QuizItem], key: Ed25519PrivateKey) -> None:
    test = build_final_test(real_bank, Group.HOC_SINH, seed=5)
    failed = grade_final_test(test, _answers(test, wrong=10))
    with pytest.raises(CertificateNotEarnedError) as err:
        issue_certificate(failed, "HV-AN", key)
    assert err.value.http_status == 403 and "Chưa đạt" in str(err.value)


def test_certificate_never_carries_a_phone_number_as_pseudonym(
    real_bank: list[QuizItem], key: Ed25519PrivateKey
) -> None:
    test = build_final_test(real_bank, Group.NGUOI_DAN, seed=5)
    passed = grade_final_test(test, _answers(test))
    with pytest.raises(Exception, match="số điện thoại"):
        issue_certificate(passed, "0912345678", key)


def test_signing_key_is_created_private_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "cert.pem"
    created = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = load_or_create_signing_key(path)
    assert public_key_pem(again) == public_key_pem(created)


def test_signing_key_readable_by_others_or_corrupt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cert.pem"
    load_or_create_signing_key(path)
    path.chmod(0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        load_or_create_signing_key(path)
    path.write_text("không phải khóa")
    path.chmod(0o600)
    with pytest.raises(SigningKeyError):
        load_or_create_signing_key(path)
