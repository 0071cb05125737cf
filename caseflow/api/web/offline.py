"""What the pages need without the internet: the OpenAPI page (/docs) served with the Swagger UI
assets of the installed ``fastapi-offline`` package (Swagger UI 5, which reads OpenAPI 3.1; never a
CDN), the site's own static files and its favicon."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import core as offline_assets

from caseflow.api.deps import authorize

STATIC = Path(__file__).parent / "static"
SWAGGER_DIR = Path(offline_assets.__file__).parent / "static"
SWAGGER_ASSETS = "/docs/assets"
#: Static files are the same for everyone and change only with a release.
STATIC_PREFIXES = ("/assets/", SWAGGER_ASSETS + "/", "/favicon.ico")

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)

DOCS_PAGE = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>接口文档 · 依申请公开办理系统</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{SWAGGER_ASSETS}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{SWAGGER_ASSETS}/swagger-ui-bundle.js"></script>
<script src="/assets/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/favicon.ico", name="favicon")
def favicon() -> FileResponse:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


def install(app: FastAPI) -> None:
    """The /docs page (FastAPI's own, which loads Swagger UI from a CDN, is turned off in
    ``create_app``), the Swagger UI assets, the static files and the favicon."""

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    app.mount(SWAGGER_ASSETS, StaticFiles(directory=SWAGGER_DIR), name="swagger_assets")
    app.mount("/assets", StaticFiles(directory=STATIC), name="assets")
    app.include_router(router)
