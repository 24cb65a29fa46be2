"""The OpenAPI documentation page, Swagger UI served from the fastapi-offline package: works with no internet.

FastAPI's own /docs loads Swagger UI from a CDN and starts it with an inline script; both are refused here (offline
machines, and a CSP without inline script), so the page is ours and its starter is /static/docs.js.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from tutor.errors import NotFoundError

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
#: Only these files are served, so no path from the URL ever reaches the file system.
_FILES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
_PAGE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tài liệu API — Trợ giảng Bình dân học vụ số</title>
<link rel="icon" href="/docs/assets/favicon.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="stylesheet" href="/static/docs.css">
</head>
<body>
<main id="swagger-ui" data-openapi="/openapi.json"></main>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs_page() -> HTMLResponse:
    return HTMLResponse(_PAGE, headers={"Cache-Control": "no-cache"})


@router.get("/docs/assets/{name}")
def docs_asset(name: str) -> FileResponse:
    media_type = _FILES.get(name)
    if media_type is None:
        raise NotFoundError(f"Không có tệp '{name}' trong tài liệu API.")
    return FileResponse(ASSETS / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
