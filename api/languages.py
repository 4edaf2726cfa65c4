"""The language of an error's message. The API answers in English unless `Accept-Language` prefers Chinese; the
pages in their own language. The texts are one catalog, api/web/texts/errors.py (merged into i18n.TEXT):
`error.<CODE>` and `validation.<pydantic type>`, filled in from the exception's `params` or the error's `ctx`.

English API messages stay the raise site's own (existing clients see no change); the `code` never changes."""
from api.request_log import CURRENT

LANGUAGES = ("zh", "en")
API_DEFAULT = "en"
TERMS = ("band", "outcome")  # params whose value is itself a text: band=heavier -> band.heavier -> 较重
MAX_HEADER = 200  # characters of Accept-Language read


def negotiate(header: str | bytes | None) -> str:
    """`zh` or `en` from an Accept-Language header, as text or as the raw ASGI bytes (zh, zh-CN, en-US, q-values;
    `*` and other languages are passed over); English when the header names neither."""
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    best, best_q = API_DEFAULT, 0.0
    for part in (header or "")[:MAX_HEADER].split(","):
        tag, *options = part.split(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:  # the first of equals wins
            best, best_q = primary, q
    return best


def headers(lang: str) -> dict[str, str]:
    """On every localised error answer: which language it is in, and that it depends on Accept-Language."""
    return {"Content-Language": lang, "Vary": "Accept-Language"}


def _texts() -> dict[str, tuple[str, str]]:
    from api.web.i18n import TEXT  # late: the pages import the app's modules

    return TEXT


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[LANGUAGES.index(lang) if lang in LANGUAGES else 0]


def _fill(template: str, values: dict, lang: str) -> str | None:
    """The template with its `{name}`s filled in; None when a value is missing."""
    texts = _texts()
    values = dict(values)
    for name in TERMS:
        if (term := texts.get(f"{name}.{values.get(name)}")) is not None:
            values[name] = _pick(term, lang)
    if lang == "zh" and isinstance(values.get("expected"), str):  # Pydantic's "'a', 'b' or 'c'"
        values["expected"] = values["expected"].replace(" or ", "、").replace(", ", "、")
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return None


def catalog_text(lang: str, code: str, params: dict | None = None) -> str | None:
    """The catalog's text of `code` in `lang` with its specifics; None when the code or a specific is unknown."""
    pair = _texts().get(f"error.{code}")
    if pair is None:
        return None
    context = CURRENT.get()
    values = {"code": code, "request_id": context.id if context else "", **(params or {})}
    return _fill(_pick(pair, lang), values, lang)


def generic(lang: str, code: str) -> str:
    return _fill(_pick(_texts()["error.generic"], lang), {"code": code}, lang) or code


def error_message(lang: str, code: str, message: str, params: dict | None = None) -> str:
    """The API's message: the raise site's own in English, the catalog's in Chinese."""
    if lang == "en":
        return message
    return catalog_text(lang, code, params) or generic(lang, code)


def page_error_text(lang: str, code: str, message: str, params: dict | None = None) -> str:
    """A page's message: the catalog's text in either language; in English the raise site's message when the
    catalog cannot fill in a text (there is always one in Chinese)."""
    return catalog_text(lang, code, params) or (message if lang == "en" else generic(lang, code))


def validation_text(lang: str, kind: str, ctx: dict | None, message: str) -> str:
    """A Pydantic error's message: Pydantic's own in English; in Chinese the text of its type (a custom type
    such as INVALID_DATE is an error code), else a generic one."""
    if lang == "en":
        return message
    texts = _texts()
    pair = texts.get(f"error.{kind}") or texts.get(f"validation.{kind}")
    text = _fill(_pick(pair, lang), ctx or {}, lang) if pair else None
    return text or _pick(texts["validation.generic"], lang)


def localise(body: dict, lang: str, params: dict | None = None) -> dict:
    """An error envelope with its message (and the details that repeat it) in `lang`; `code` unchanged."""
    error = body["error"]
    original = error["message"]
    error["message"] = error_message(lang, error["code"], original, params)
    for detail in error.get("details") or ():
        if detail.get("message") == original:
            detail["message"] = error["message"]
    return body
