"""Liveness and readiness: /readyz checks the LLM, the index and the learner database separately."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tutor.api.deps import ServicesDep
from tutor.api.schemas_ops import ReadinessOut
from tutor.ops.readiness import readiness

router = APIRouter(tags=["sức khỏe dịch vụ"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Tiến trình còn sống (không kiểm tra gì thêm)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadinessOut, responses={503: {"model": ReadinessOut}})
async def readyz(services: ServicesDep) -> JSONResponse:
    """Sẵn sàng phục vụ? Mô hình trả lời, chỉ mục và cơ sở dữ liệu được kiểm tra riêng; 503 khi một phần hỏng."""
    services.runtime.refresh_if_rebuilt()  # an index built by `tutor index build` makes the node ready by itself
    result = await run_in_threadpool(readiness, services.settings, services.runtime, services.store.engine)
    body = ReadinessOut.from_readiness(result, len(services.runtime.lessons))
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if result.ok else 503)
