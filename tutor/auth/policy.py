"""Who may do what: the three roles, the authenticated principal, and the ownership rule for learner data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tutor.errors import NotFoundError, TutorError
from tutor.types import LabelledEnum


class Role(LabelledEnum):
    #: Reads and writes only their own profile, placement, sessions and feedback.
    LEARNER = "learner", "học viên"
    #: Community digital-technology teams: the preview of one question at every level; enrols learners.
    TRAINER = "trainer", "tập huấn viên"
    #: Runs the service: index, evaluations, statistics, feedback export, learner deletion.
    OPERATOR = "operator", "quản trị viên"


class AuthenticationError(TutorError, http_status=401, exit_code=2):
    """No bearer token, or one that is unknown or revoked."""


class PermissionDeniedError(TutorError, http_status=403, exit_code=2):
    """A valid token whose role may not use this endpoint."""


class InvalidTokenRequestError(TutorError, http_status=422, exit_code=2):
    """A token was requested with a role/learner combination that makes no sense."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id (never its secret), its role, and the learner it belongs to."""

    token_id: str
    role: Role
    learner_id: str | None = None


def require_role(principal: Principal | None, roles: Iterable[Role]) -> Principal:
    """The principal, if it holds one of `roles`; 401 without a token, 403 with the wrong role."""
    allowed = tuple(roles)
    if principal is None:
        raise AuthenticationError(
            "Cần mã truy cập (Authorization: Bearer …). Học viên nhận mã từ tập huấn viên hoặc quản trị viên."
        )
    if principal.role not in allowed:
        names = ", ".join(r.label for r in allowed)
        raise PermissionDeniedError(f"Mã truy cập của {principal.role.label} không dùng được ở đây (cần: {names}).")
    return principal


def learner_of(principal: Principal | None) -> str:
    """The learner id of a learner token; every other caller is refused."""
    p = require_role(principal, (Role.LEARNER,))
    if p.learner_id is None:  # a learner token is always created with a learner; refuse a damaged one
        raise PermissionDeniedError("Mã học viên này không gắn với hồ sơ nào; hãy xin mã mới.")
    return p.learner_id


def not_found_for_others(kind: str, item_id: str) -> NotFoundError:
    """Another learner's resource answers exactly like a missing one (404), so ids reveal nothing."""
    return NotFoundError(f"Không có {kind} '{item_id}' (hoặc không thuộc về bạn).")


def check_owner(principal: Principal | None, learner_id: str, *, operator_too: bool = False) -> Principal:
    """Learner data is readable by its own learner only (and by an operator where `operator_too`).

    A learner asking for someone else's data gets the same 404 as for an id that does not exist.
    """
    roles = (Role.LEARNER, Role.OPERATOR) if operator_too else (Role.LEARNER,)
    p = require_role(principal, roles)
    if p.role is Role.LEARNER and p.learner_id != learner_id:
        raise not_found_for_others("học viên", learner_id)
    return p
