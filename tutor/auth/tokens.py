"""Bearer tokens: a random secret shown once, only its sha256 stored; lookup, listing and revocation."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tutor.auth.models import ApiTokenRow
from tutor.auth.policy import AuthenticationError, InvalidTokenRequestError, Principal, Role
from tutor.errors import NotFoundError
from tutor.sqlstore import Transactional, as_utc, utcnow

#: Every secret starts with this, so a leaked one is easy to recognise in logs and secret scanners.
PREFIX = "tutor_"
#: Token ids are 16 hex characters; `tutor token revoke` takes a unique prefix of at least MIN_PREFIX of them.
ID_LENGTH, MIN_PREFIX = 16, 4


def hash_secret(secret: str) -> str:
    """sha256 of the secret. The secret is 256 random bits, so no salt or slow hash is needed."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    id: str
    role: Role
    learner_id: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class IssuedToken:
    """What `create` returns: the secret exists only here and is never stored."""

    secret: str
    info: TokenInfo


def parse_role(role: Role | str) -> Role:
    return Role.parse(role, InvalidTokenRequestError, "Vai trò")


def new_token(role: Role | str, learner_id: str | None = None) -> tuple[IssuedToken, ApiTokenRow]:
    """A token and the row that stores it, not yet added anywhere: the caller's transaction inserts the row."""
    r = parse_role(role)
    if r is Role.LEARNER and not learner_id:
        raise InvalidTokenRequestError("Mã học viên cần --learner ID (tạo học viên bằng `tutor learner create`).")
    if r is not Role.LEARNER and learner_id:
        raise InvalidTokenRequestError(f"Mã {r.label} không gắn với học viên; bỏ --learner.")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiTokenRow(
        id=secrets.token_hex(ID_LENGTH // 2),
        token_hash=hash_secret(secret),
        role=r.value,
        learner_id=learner_id,
        created_at=utcnow(),
    )
    return IssuedToken(secret, TokenStore._info(row)), row


class TokenStore(Transactional):
    """Tokens in the learner database (table api_tokens). Each public method is one transaction."""

    @staticmethod
    def _info(row: ApiTokenRow) -> TokenInfo:
        revoked = as_utc(row.revoked_at) if row.revoked_at is not None else None
        return TokenInfo(row.id, Role(row.role), row.learner_id, as_utc(row.created_at), revoked)

    def create(self, role: Role | str, learner_id: str | None = None) -> IssuedToken:
        """A new token. A learner token needs an existing learner; other roles must not name one."""
        issued, row = new_token(role, learner_id)
        try:
            with self._tx() as s:
                s.add(row)
        except IntegrityError as exc:
            # The token's foreign key is the check that its learner exists (the secret's hash is 256 random bits
            # and the role was checked above, so nothing else here can conflict); auth needs no learner tables.
            raise NotFoundError(f"Không có học viên {learner_id}.") from exc
        return issued

    def authenticate(self, secret: str) -> Principal:
        """The principal of an active token; an unknown or revoked secret is refused alike."""
        with self._tx() as s:
            row = s.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_secret(secret.strip()))).first()
            if row is None or row.revoked_at is not None:
                raise AuthenticationError("Mã truy cập không đúng hoặc đã bị thu hồi. Hãy xin mã mới.")
            return Principal(row.id, Role(row.role), row.learner_id)

    def resolve(self, prefix: str) -> str:
        """The one token id that starts with `prefix` (at least 4 characters), so an id can be typed in part."""
        prefix = prefix.strip().lower()
        if len(prefix) < MIN_PREFIX or not re.fullmatch(r"[0-9a-f]+", prefix):
            raise InvalidTokenRequestError(
                f"'{prefix}' không phải đầu của một id: id gồm chữ số 0–9 và chữ a–f; gõ ít nhất {MIN_PREFIX} ký tự."
            )
        with self._tx() as s:
            ids = list(s.scalars(select(ApiTokenRow.id).where(ApiTokenRow.id.startswith(prefix)).limit(6)))
        if not ids:
            raise NotFoundError(f"Không có mã truy cập nào có id bắt đầu bằng {prefix} (xem `tutor token list`).")
        if len(ids) > 1:
            shown = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
            raise InvalidTokenRequestError(f"Nhiều mã có id bắt đầu bằng {prefix}: {shown}. Hãy gõ dài hơn.")
        return ids[0]

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke by the whole id or a unique prefix of it."""
        token_id = token_id if len(token_id) == ID_LENGTH else self.resolve(token_id)
        with self._tx() as s:
            row = s.get(ApiTokenRow, token_id)
            if row is None:
                raise NotFoundError(f"Không có mã truy cập {token_id}.")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return self._info(row)

    def find(self, *, role: Role | None = None, learner_id: str | None = None) -> list[TokenInfo]:
        with self._tx() as s:
            query = select(ApiTokenRow).order_by(ApiTokenRow.created_at, ApiTokenRow.id)
            if role is not None:
                query = query.where(ApiTokenRow.role == role.value)
            if learner_id is not None:
                query = query.where(ApiTokenRow.learner_id == learner_id)
            return [self._info(r) for r in s.scalars(query)]
