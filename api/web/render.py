"""Jinja2 rendering with the user's language, the signed-in principal and the CSRF token in every page."""
from pathlib import Path
from urllib.parse import parse_qsl, unquote, unquote_plus, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.languages import validation_text
from api.web.auth import LANG_COOKIE, page_csrf, path_with_query
from api.web.forms import FieldError
from api.web.i18n import DEFAULT, LANGUAGES, TEXT, error_text, translator
from api.web.names import name_helpers
from api.web.nav import todo_total
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
    """Field errors (`errors`, `decide_errors`, ...) are shown in the page's language."""
    if not isinstance(errors, dict):
        return errors
    return {k: _field_text(lang, v) if isinstance(v, FieldError) else v for k, v in errors.items()}


def _field_text(lang: str, error: FieldError) -> str:
    """A custom type is an error code (a bad date: the catalog's text); else Pydantic's type."""
    if f"error.{error.code}" in TEXT:
        return error_text(lang, error.code, error)
    return validation_text(lang, error.code, error.ctx, error)


def _error_text(lang: str, code, message, params=None) -> str:
    """For the templates: `error_text(error.code, error.message, error.params)`, params possibly undefined."""
    return error_text(lang, str(code), str(message), params if isinstance(params, dict) else None)


def page(request: Request, name: str, context: dict | None = None, status: int = 200, principal=None) -> HTMLResponse:
    lang = language(request)
    base = {"lang": lang, "t": translator(lang), "principal": principal, "here": masked_here(request.url),
            "csrf": page_csrf(request) if principal else "", "errors": {}, "form": {},
            "error_text": lambda code, message, params=None: _error_text(lang, code, message, params)}
    if "todo_total" not in (context or {}):  # a supervisor's header counts their to-do (api/web/nav.py)
        base["todo_total"] = todo_total(request, principal)
    base |= name_helpers(lang, context)  # region_label(code), institution_named(code) (api/web/names.py)
    context = {k: _localised(lang, v) if k.endswith("errors") else v for k, v in (context or {}).items()}
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


PAGE_TEXTS = {"INVALID_REQUEST"}  # codes whose API text ("see details") means nothing on a page


def error_page(request: Request, status: int, code: str, message: str, params: dict | None = None) -> HTMLResponse:
    return page(request, "error.html", {"status": status, "code": code, "message": message, "params": params,
                                        "page_texts": PAGE_TEXTS}, status)
