"""Server-rendered pages for supervisors and practitioners, over the same services and tokens as the API."""
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.web import evidence, institution, letters, lists, overview, practitioner, routes, supervisor, todo
from api.web.auth import LoginRequired
from api.web.render import error_page


def is_page(request: Request) -> bool:
    return request.url.path == "/ui" or request.url.path.startswith("/ui/")


def install_pages(app: FastAPI) -> None:
    for module in (routes, lists, letters, supervisor, practitioner, evidence, todo, overview,  # lists first: /people/export.xlsx
                   institution):
        app.include_router(module.router)
    app.mount("/ui/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def _login(_: Request, exc: LoginRequired):
        return RedirectResponse(exc.location(), status_code=303)

    @app.get("/", include_in_schema=False)
    def root():
        return RedirectResponse("/ui", status_code=307)


__all__ = ["error_page", "install_pages", "is_page"]
