"""The HTTP side of auth: read `Authorization: Bearer …`, turn it into a Principal, refuse by role."""

from __future__ import annotations

from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tutor.auth.policy import Principal
from tutor.auth.tokens import TokenStore

#: auto_error=False: a missing header is not an error by itself; anonymous endpoints never ask for one, and
#: protected ones answer 401 through require_role, with the same JSON error shape as every other error.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="Mã truy cập",
    description="Tạo bằng `tutor token create --role learner|trainer|operator [--learner ID]`.",
)


def authenticate(tokens: TokenStore, credentials: HTTPAuthorizationCredentials | None) -> Principal | None:
    """None without a bearer token; the principal of a valid one; AuthenticationError (401) for a bad one."""
    if credentials is None or not credentials.credentials.strip():
        return None
    return tokens.authenticate(credentials.credentials)
