"""Operator endpoints: index status and rebuild, evaluation runs, usage statistics. All need an operator token."""

from __future__ import annotations

from fastapi import APIRouter, status

from tutor.api.deps import OperatorDep, ServicesDep
from tutor.api.schemas import error_responses
from tutor.api.schemas_ops import EvalIn, IndexStatusOut, JobOut, StatsOut, StoredUsageOut, UsageOut
from tutor.index.build import index_status

router = APIRouter(prefix="/api/admin", tags=["quản trị"])
ERRORS = error_responses(401, 403, 409, 503)


@router.get("/index", response_model=IndexStatusOut, responses=ERRORS)
def get_index(_: OperatorDep, services: ServicesDep) -> IndexStatusOut:
    """Chỉ mục trên đĩa còn mới hay đã cũ so với corpus/, chỉ mục đang phục vụ, và việc dựng lại gần nhất."""
    s, runtime = services.settings, services.runtime
    st = index_status(s.index_dir, s.lessons_dir, runtime.embedder.id, ingested_dir=s.ingested_dir)
    m = st.manifest
    return IndexStatusOut(
        state=st.state.value,
        serving=runtime.ready,
        generation=runtime.generation,
        serving_version=runtime.loaded_version,
        chunk_count=m.chunk_count if m else None,
        embedder=m.embedder if m else None,
        built_at=m.built_at if m else None,
        rebuild=JobOut.from_status(services.rebuilds.job.status()),
    )


@router.post("/index/rebuild", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED, responses=ERRORS)
def rebuild_index(_: OperatorDep, services: ServicesDep) -> JobOut:
    """Dựng lại chỉ mục trong nền; câu hỏi vẫn được trả lời bằng chỉ mục cũ cho tới khi chỉ mục mới được nạp.

    Theo dõi ở GET /api/admin/index (trường `rebuild`). Đang dựng dở thì 409.
    """
    return JobOut.from_status(services.rebuilds.start())


@router.get("/evals", response_model=JobOut, responses=ERRORS)
def eval_status(_: OperatorDep, services: ServicesDep) -> JobOut:
    """Trạng thái lần đánh giá gần nhất (503 nếu bản này không có bộ đánh giá)."""
    services.evals.available()
    return JobOut.from_status(services.evals.job.status())


@router.post("/evals", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED, responses=ERRORS)
def start_eval(req: EvalIn, _: OperatorDep, services: ServicesDep) -> JobOut:
    """Chạy `tutor eval run` trong nền trên trợ giảng đang phục vụ; kết quả ghi vào <data_dir>/eval-runs/."""
    return JobOut.from_status(services.evals.start(req.dataset, req.limit))


@router.get("/stats", response_model=StatsOut, responses=ERRORS)
def stats(_: OperatorDep, services: ServicesDep) -> StatsOut:
    """Số câu hỏi, câu trả lời bị giảm cấp (degraded) và góp ý 👍/👎."""
    return StatsOut(
        process=UsageOut.from_snapshot(services.usage.snapshot()),
        stored=StoredUsageOut.from_usage(services.feedback.usage()),
    )
