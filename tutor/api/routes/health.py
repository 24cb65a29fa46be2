"""Liveness and readiness: /readyz checks the LLM, the index and the learner database separately."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tutor.api.deps import ServicesDep
from tutor.api.schemas_ops import ReadinessOut
from tutor.auth.policy import Role
from tutor.ops.readiness import readiness

router = APIRouter(tags=["sức khỏe dịch vụ"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Tiến trình còn sống (không kiểm tra gì thêm)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadinessOut, responses={503: {"model": ReadinessOut}})
async def readyz(request: Request, services: ServicesDep) -> JSONResponse:
    """Sẵn sàng phục vụ? Mô hình trả lời (kể cả bộ ngắt mạch), chỉ mục và cơ sở dữ liệu; 503 khi một phần hỏng.

    Ai cũng thấy sẵn sàng hay chưa và vì sao, bằng lời thường; chi tiết (mô hình, phiên bản, lược đồ) chỉ hiện với
    mã quản trị viên.
    """
    services.runtime.refresh_if_rebuilt()  # an index built by `tutor index build` makes the node ready by itself
    private = await run_in_threadpool(_is_operator, request, services)
    result = await run_in_threadpool(readiness, services.settings, services.runtime, services.store.engine)
    body = ReadinessOut.from_readiness(result, len(services.runtime.lessons), private=private)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if result.ok else 503)


def _is_operator(request: Request, services: ServicesDep) -> bool:
    """An operator's valid token; any other token, or a bad one, gets the public answer (a probe sends none)."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return False
    try:
        return services.tokens.authenticate(secret.strip()).role == Role.OPERATOR
    except Exception:  # noqa: BLE001 - unknown, revoked, or the database is down: readiness still answers
        return False
