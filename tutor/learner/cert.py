"""Certification: a final test per group, pass rules, Ed25519-signed certificates and offline verification."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import random
import stat
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tutor.learner.errors import CertificateNotEarnedError, InvalidAnswerError, LearnerInputError, SigningKeyError
from tutor.learner.exposure import systematic_sample
from tutor.learner.names import check_pseudonym
from tutor.learner.placement import parse_group
from tutor.learner.quizbank import QuizItem
from tutor.types import Group, Level

#: Domains each group's final test covers. Every group needs 1 (find and judge information), 2 (communicate,
#: public services, digital identity) and 4 (safety: scams, OTP, personal data) — the core of Quyết định
#: 757/QĐ-BKHCN's basic skills. Workers add 5 (solve everyday technical problems at work); pupils and students
#: add 3 (create content) and 6 (AI), which Thông tư 02/2025/TT-BGDĐT adds for learners; civil servants add
#: 3 (electronic documents) and 5.
GROUP_DOMAINS: dict[Group, tuple[int, ...]] = {
    Group.NGUOI_DAN: (1, 2, 4),
    Group.LAO_DONG: (1, 2, 4, 5),
    Group.HOC_SINH: (1, 2, 3, 4, 6),
    Group.CONG_CHUC: (1, 2, 3, 4, 5),
}
#: The universal (phổ cập) level is certified from Cơ bản and Trung cấp items; the certificate says Cơ bản.
FINAL_TEST_LEVELS: tuple[Level, ...] = (Level.CO_BAN, Level.TRUNG_CAP)
CERTIFIED_LEVEL = Level.CO_BAN
ITEMS_PER_DOMAIN = 5
PASS_OVERALL = 0.70
PASS_DOMAIN = 0.50
CERTIFICATE_TYPE = "chung-nhan-ky-nang-so-co-ban"
FRAMEWORK = "Quyết định 757/QĐ-BKHCN (2025), Phụ lục I–II"


@dataclass(frozen=True)
class FinalTest:
    group: Group
    items: tuple[QuizItem, ...]

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def domains(self) -> tuple[int, ...]:
        return tuple(sorted({item.domain for item in self.items}))


@dataclass(frozen=True)
class FinalTestResult:
    group: Group
    level: Level
    n_items: int
    n_correct: int
    score: float
    domain_scores: dict[int, float]
    passed: bool
    #: Competences with at least one item and at least half of their items right, sorted.
    competences: tuple[str, ...]
    item_ids: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class VerifyResult:
    valid: bool
    #: Why, in Vietnamese.
    reason: str
    payload: dict[str, Any] | None = None


def final_test_pool(
    bank: Iterable[QuizItem],
    group: Group | str,
    domain: int,
    lesson_groups: Mapping[str, Collection[str]] | None = None,
) -> list[QuizItem]:
    """The items a group's final test may draw in one domain: the certified levels, lessons meant for the group."""
    grp = parse_group(group)
    return [
        item
        for item in bank
        if item.domain == domain
        and item.level in FINAL_TEST_LEVELS
        and (lesson_groups is None or grp.value in lesson_groups.get(item.lesson_id, (grp.value,)))
    ]


def build_final_test(
    bank: Iterable[QuizItem],
    group: Group | str,
    *,
    seed: int | str,
    per_domain: int = ITEMS_PER_DOMAIN,
    lesson_groups: Mapping[str, Collection[str]] | None = None,
) -> FinalTest:
    """The group's blueprint: `per_domain` Cơ bản/Trung cấp items in each of its domains, spread over competences.

    Every eligible item of a domain is drawn with the same probability, per_domain / pool size (systematic
    sampling over the pool shuffled within competences), so no item reaches more learners than the pool
    allows (`final_test_exposure`). The same seed gives the same test (use e.g. f"{learner_id}:{attempt}").
    With `lesson_groups` (lesson id -> groups), items of lessons written for other groups only are left out.
    """
    grp = parse_group(group)
    items = list(bank)
    rng = random.Random(str(seed))
    chosen: list[QuizItem] = []
    for domain in GROUP_DOMAINS[grp]:
        by_competence: dict[str, list[QuizItem]] = defaultdict(list)
        for item in final_test_pool(items, grp, domain, lesson_groups):
            by_competence[item.competence].append(item)
        if sum(len(v) for v in by_competence.values()) < per_domain:
            raise LearnerInputError(
                f"Ngân hàng câu hỏi chưa đủ {per_domain} câu cơ bản cho lĩnh vực {domain}; bổ sung corpus/quiz/."
            )
        queues = [sorted(v, key=lambda i: i.id) for _, v in sorted(by_competence.items())]
        for queue in queues:
            rng.shuffle(queue)
        rng.shuffle(queues)
        chosen.extend(systematic_sample([item for queue in queues for item in queue], per_domain, rng))
    return FinalTest(grp, tuple(chosen))


def final_test_exposure(
    bank: Iterable[QuizItem],
    group: Group | str,
    *,
    per_domain: int = ITEMS_PER_DOMAIN,
    lesson_groups: Mapping[str, Collection[str]] | None = None,
) -> dict[str, float]:
    """item id -> the share of the group's final tests that show it (per_domain / the domain's pool size)."""
    items = list(bank)
    out: dict[str, float] = {}
    for domain in GROUP_DOMAINS[parse_group(group)]:
        pool = final_test_pool(items, group, domain, lesson_groups)
        out.update({item.id: min(1.0, per_domain / len(pool)) for item in pool})
    return out


def grade_final_test(test: FinalTest, answers: Mapping[str, int]) -> FinalTestResult:
    """Grade chosen options (item id -> 0-based option); an unanswered item counts as wrong."""
    by_id = {item.id: item for item in test.items}
    unknown = sorted(set(answers) - set(by_id))
    if unknown:
        raise InvalidAnswerError(f"Các câu {', '.join(unknown)} không có trong bài kiểm tra cuối khóa này.")
    per_domain: dict[int, list[bool]] = defaultdict(list)
    per_competence: dict[str, list[bool]] = defaultdict(list)
    for item in test.items:
        choice = answers.get(item.id)
        if choice is not None and not 0 <= choice < len(item.options):
            raise InvalidAnswerError(f"Câu {item.id} chỉ có {len(item.options)} phương án (từ 0).")
        correct = choice is not None and item.is_correct(choice)
        per_domain[item.domain].append(correct)
        per_competence[item.competence].append(correct)
    n_correct = sum(sum(v) for v in per_domain.values())
    n_items = len(test.items)
    score = n_correct / n_items if n_items else 0.0
    domain_scores = {d: sum(v) / len(v) for d, v in sorted(per_domain.items())}
    passed = n_items > 0 and score >= PASS_OVERALL and all(s >= PASS_DOMAIN for s in domain_scores.values())
    competences = tuple(sorted(c for c, v in per_competence.items() if any(v) and sum(v) / len(v) >= 0.5))
    return FinalTestResult(
        test.group, CERTIFIED_LEVEL, n_items, n_correct, score, domain_scores, passed, competences, test.item_ids
    )


# -- keys ----------------------------------------------------------------------------------------------------


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load the PEM (PKCS#8) private key at `path`, or create one there with permissions 0600."""
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return load_or_create_signing_key(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return key
    mode = stat.S_IMODE(path.stat().st_mode)
    if os.name == "posix" and mode & 0o077:
        raise SigningKeyError(
            f"Khóa ký chứng nhận {path} đang để người khác đọc được ({oct(mode)}); chạy chmod 600 {path}."
        )
    try:
        key_obj = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"Không đọc được khóa ký chứng nhận {path}: {exc}") from exc
    if not isinstance(key_obj, Ed25519PrivateKey):
        raise SigningKeyError(f"Khóa {path} không phải khóa Ed25519.")
    return key_obj


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Short fingerprint: the first 16 hex digits of sha256 over the raw 32-byte public key."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(data: bytes | str | Ed25519PublicKey) -> Ed25519PublicKey:
    """A public key from PEM text/bytes or the raw 32 bytes."""
    if isinstance(data, Ed25519PublicKey):
        return data
    raw = data.encode() if isinstance(data, str) else data
    try:
        key = Ed25519PublicKey.from_public_bytes(raw) if len(raw) == 32 else serialization.load_pem_public_key(raw)
    except ValueError as exc:
        raise SigningKeyError(f"Khóa công khai không hợp lệ: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("Khóa công khai không phải Ed25519.")
    return key


# -- certificates --------------------------------------------------------------------------------------------


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """The signed bytes: sorted keys, no spaces, UTF-8 without escaping Vietnamese letters."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def issue_certificate(
    result: FinalTestResult,
    pseudonym: str,
    key: Ed25519PrivateKey,
    *,
    issued_on: dt.date | None = None,
    certificate_id: str | None = None,
) -> dict[str, Any]:
    """A signed certificate document {"payload": …, "signature": …}; refuses a result that did not pass."""
    if not result.passed:
        raise CertificateNotEarnedError(
            f"Chưa đạt bài kiểm tra cuối khóa ({round(result.score * 100)}%; cần từ {round(PASS_OVERALL * 100)}% "
            f"và mỗi lĩnh vực từ {round(PASS_DOMAIN * 100)}%). Ôn lại các bài được gợi ý rồi làm lại."
        )
    kid = key_id(key)
    payload: dict[str, Any] = {
        "type": CERTIFICATE_TYPE,
        "version": 1,
        "id": certificate_id or str(uuid.uuid4()),
        "framework": FRAMEWORK,
        "learner": check_pseudonym(pseudonym),
        "group": result.group.value,
        "group_label": result.group.label,
        "level": result.level.value,
        "level_label": result.level.label,
        "issued_on": (issued_on or dt.datetime.now(dt.UTC).date()).isoformat(),
        "competences": list(result.competences),
        "score": round(result.score, 4),
        "domain_scores": {str(d): round(s, 4) for d, s in sorted(result.domain_scores.items())},
        "key_id": kid,
    }
    signature = base64.b64encode(key.sign(canonical_json(payload))).decode("ascii")
    return {"payload": payload, "signature": {"alg": "Ed25519", "key_id": kid, "value": signature}}


def verify_certificate(
    data: bytes | str | Mapping[str, Any], public_key: Ed25519PublicKey | bytes | str
) -> VerifyResult:
    """Check a certificate offline against the issuer's public key; never raises for a bad certificate."""
    try:
        pub = load_public_key(public_key)
    except SigningKeyError as exc:
        return VerifyResult(False, str(exc))
    if isinstance(data, bytes | str):
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return VerifyResult(False, "Tệp chứng nhận không phải JSON hợp lệ.")
    else:
        doc = data
    if not isinstance(doc, Mapping) or not isinstance(doc.get("payload"), Mapping):
        return VerifyResult(False, "Thiếu phần nội dung (payload) của chứng nhận.")
    payload = dict(doc["payload"])
    sig = doc.get("signature")
    if not isinstance(sig, Mapping) or sig.get("alg") != "Ed25519" or not isinstance(sig.get("value"), str):
        return VerifyResult(False, "Thiếu chữ ký Ed25519 của chứng nhận.")
    if payload.get("key_id") != key_id(pub) or sig.get("key_id") != key_id(pub):
        return VerifyResult(False, "Chứng nhận được ký bằng khóa khác, không phải khóa của đơn vị cấp này.", payload)
    try:
        raw_sig = base64.b64decode(sig["value"], validate=True)
        pub.verify(raw_sig, canonical_json(payload))
    except (InvalidSignature, binascii.Error, ValueError):
        return VerifyResult(False, "Chữ ký không khớp: nội dung chứng nhận đã bị sửa.", payload)
    return VerifyResult(True, "Chứng nhận hợp lệ.", payload)


def final_test_from_ids(bank: Sequence[QuizItem], group: Group | str, item_ids: Sequence[str]) -> FinalTest:
    """Rebuild a final test from the item ids saved when it was handed out."""
    by_id = {item.id: item for item in bank}
    missing = [i for i in item_ids if i not in by_id]
    if missing:
        raise LearnerInputError(f"Bài kiểm tra đã lưu có câu không còn trong ngân hàng: {', '.join(missing)}.")
    return FinalTest(parse_group(group), tuple(by_id[i] for i in item_ids))
