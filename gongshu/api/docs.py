"""The API's documentation page (Swagger UI at ``/docs``) served from the machine itself.

FastAPI's own ``/docs`` loads Swagger UI's script, stylesheet and icon from public CDNs (and ``/redoc``
its script and Google's fonts): blank on the government network without internet, and a note to a
third party for each view where the internet is reachable. Here ``/docs`` is FastAPI's page with
swagger-ui-dist's files as vendored in ``gongshu/vendor`` (README.md there), served under
``/docs/assets``; ReDoc is switched off (``redoc_url=None`` in the app factory). The page's validator
badge, which Swagger UI fetches from validator.swagger.io when the API is not on localhost, is off.
See FastAPI's "Custom Docs UI Static Assets (Self-Hosting)".
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ..vendor import VENDOR

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
SWAGGER_UI = VENDOR / "swagger-ui-dist"


def add_docs(app: FastAPI) -> None:
    """Serve ``app``'s OpenAPI document as Swagger UI at ``/docs``, every asset from this machine.
    The app is created with ``docs_url=None, redoc_url=None``."""
    app.mount(ASSETS_URL, StaticFiles(directory=SWAGGER_UI), name="swagger-ui-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
