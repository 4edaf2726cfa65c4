"""Jinja2 rendering with the user's language, the signed-in principal and the CSRF token in every page."""
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.web.auth import LANG_COOKIE, csrf_token, path_with_query
from api.web.i18n import DEFAULT, LANGUAGES, translator

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


def page(request: Request, name: str, context: dict | None = None, status: int = 200, principal=None) -> HTMLResponse:
    lang = language(request)
    base = {"lang": lang, "t": translator(lang), "principal": principal, "here": path_with_query(request.url),
            "csrf": csrf_token(request, principal) if principal else "", "errors": {}, "form": {}}
    response = templates.TemplateResponse(request, name, {**base, **(context or {})}, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def error_page(request: Request, status: int, code: str, message: str) -> HTMLResponse:
    return page(request, "error.html", {"status": status, "code": code, "message": message}, status)
