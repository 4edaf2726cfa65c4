"""Jinja2 rendering with the user's language, the signed-in principal and the CSRF token in every page."""
from pathlib import Path
from urllib.parse import parse_qsl, unquote, unquote_plus, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.web.auth import LANG_COOKIE, page_csrf, path_with_query
from api.web.forms import FieldError
from api.web.i18n import DEFAULT, LANGUAGES, error_text, translator
from points.privacy import has_id_number, mask_id_numbers

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def masked_here(url) -> str:
    """This page's path and query, as the pages link back to it, with any ID number in them masked."""
    here = path_with_query(url)
    if not has_id_number(unquote_plus(here)):
        return here
    query = urlencode([(k, mask_id_numbers(v)) for k, v in parse_qsl(url.query, keep_blank_values=True)])
    return path_with_query(url.replace(path=mask_id_numbers(unquote(url.path)), query=query))


def language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


def _localised(lang: str, errors):
    """Field errors (`errors`, `decide_errors`, ...) that carry a code are shown in the page's language."""
    if not isinstance(errors, dict):
        return errors
    return {k: error_text(lang, v.code, v) if isinstance(v, FieldError) else v for k, v in errors.items()}


def page(request: Request, name: str, context: dict | None = None, status: int = 200, principal=None) -> HTMLResponse:
    lang = language(request)
    base = {"lang": lang, "t": translator(lang), "principal": principal, "here": masked_here(request.url),
            "csrf": page_csrf(request) if principal else "", "errors": {}, "form": {},
            "error_text": lambda code, message: error_text(lang, code, message)}
    context = {k: _localised(lang, v) if k.endswith("errors") else v for k, v in (context or {}).items()}
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def error_page(request: Request, status: int, code: str, message: str) -> HTMLResponse:
    return page(request, "error.html", {"status": status, "code": code, "message": message}, status)
