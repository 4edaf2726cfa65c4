"""The one catalog of error texts (api/web/texts/errors.py): every code the service can answer has a Chinese and
an English text, the specifics fill in, Accept-Language is read as RFC 9110 says, and the Chinese is typeset."""
import ast
import re
from datetime import date
from http import HTTPStatus
from pathlib import Path

import pytest

from api import languages
from api.web import i18n
from api.web.texts import errors
from points.checks import check_registration_end
from points.errors import DomainError

ROOT = Path(__file__).parents[2]
CODE = re.compile(r"^[A-Z]+(_[A-Z]+)*$")
# upper-case strings in api/ and points/ that are not error codes (anything else that looks like one must be in
# the catalog: a new code without texts fails here)
NOT_CODES = {"GET", "POST", "PATCH", "DELETE", "INFO", "ERROR", "WARNING", "DEBUG", "BEGIN", "GLOB", "POINTS",
             "ELIGIBLE", "SUSPENDED", "TERMINATED", "UNREGISTERED", "EMERGENCY_EXEMPT", "UNKNOWN_PRACTITIONER"}
HTTP_CODES = {HTTPStatus(s).name for s in (400, 404, 405)}  # routing's own refusals (api/main.py _http_code)


def codes_in_source() -> set[str]:
    found = set()
    for path in [*ROOT.glob("api/**/*.py"), *ROOT.glob("points/**/*.py")]:
        if "texts" in path.parts or path.name == "i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) >= 4 \
                    and CODE.match(node.value):
                found.add(node.value)
    return found - NOT_CODES


def test_the_scan_finds_the_codes_it_should():
    found = codes_in_source()
    assert {"POINTS_OUTSIDE_BAND", "OBJECTION_OPEN", "TOKEN_INVALID", "NOT_YOUR_DECISION", "BODY_TOO_LARGE",
            "INTERNAL_ERROR", "DATABASE_UNAVAILABLE", "BAD_REQUEST", "CSRF_FAILED"} <= found
    assert len(found) > 80


def test_every_code_has_a_chinese_and_an_english_text():
    missing = sorted(c for c in codes_in_source() | HTTP_CODES if not all(i18n.TEXT.get(f"error.{c}", ("", ""))))
    assert not missing, f"add these to api/web/texts/errors.py: {missing}"


def test_every_raise_that_names_a_code_gives_the_specifics_its_text_needs():
    """`RuleViolation("...", "POINTS_OUTSIDE_BAND", violation=..., ...)`: each {name} of the code's texts is a
    keyword of the call (else the Chinese falls back to a generic text)."""
    lacking = []
    for path in [*ROOT.glob("api/**/*.py"), *ROOT.glob("points/**/*.py")]:
        if "texts" in path.parts or path.name in ("i18n.py", "openapi.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or any(k.arg is None for k in node.keywords):
                continue
            for arg in node.args:
                if isinstance(arg, ast.Constant) and (pair := i18n.TEXT.get(f"error.{arg.value}")):
                    needed = set(re.findall(r"(?<!{){(\w+)}", pair[0] + pair[1])) - {"code", "request_id"}
                    if needed - {k.arg for k in node.keywords}:
                        lacking.append(f"{path.relative_to(ROOT)}:{node.lineno} {arg.value} needs {sorted(needed)}")
    assert not lacking


@pytest.mark.parametrize("key", sorted(k for k in errors.TEXT if k.startswith(("error.", "validation."))))
def test_both_languages_take_the_same_specifics(key):
    zh, en = errors.TEXT[key]
    assert set(re.findall(r"(?<!{){(\w+)}", zh)) == set(re.findall(r"(?<!{){(\w+)}", en))


def test_the_specifics_of_a_rule_fill_in_in_both_languages(policy):
    with pytest.raises(DomainError) as raised:
        policy.violation("H01", "110105", date(2026, 2, 10)).check_points(8)
    exc = raised.value
    assert exc.code == "POINTS_OUTSIDE_BAND" and exc.message == "violation H01 (heavier) carries 4–6 points, got 8"
    assert languages.error_message("zh", exc.code, exc.message, exc.params) == \
        "违规情形 H01（较重）的记分范围为 4–6 分，收到 8 分。"
    assert languages.error_message("en", exc.code, exc.message, exc.params) == exc.message  # the API's, unchanged
    assert languages.page_error_text("en", exc.code, exc.message, exc.params) == \
        "Violation H01 (heavier) carries 4–6 points; got 8."
    with pytest.raises(DomainError) as raised:
        check_registration_end(date(2026, 1, 5), date(2026, 1, 4), date(2026, 3, 1))
    exc = raised.value
    assert languages.error_message("zh", exc.code, exc.message, exc.params) == \
        "最后登记日不能早于登记开始日期 2026-01-05，收到 2026-01-04。"


def test_a_text_whose_specifics_are_missing_falls_back_without_english_on_a_chinese_page():
    assert languages.error_message("zh", "OBJECTION_OPEN", "record 6 already has an open objection") == \
        "请求未能完成（OBJECTION_OPEN）。"
    assert languages.error_message("zh", "OBJECTION_OPEN", "record 6 …", {"record": 6}) == "记分记录 6 已有待复核的异议。"
    assert languages.page_error_text("en", "OBJECTION_OPEN", "record 6 already has an open objection") == \
        "record 6 already has an open objection"
    assert languages.page_error_text("zh", "NO_SUCH_CODE", "whatever") == "请求未能完成（NO_SUCH_CODE）。"
    assert i18n.error_text("zh", "TOKEN_INVALID", "malformed token") == "令牌无效：格式错误或签名无法验证。"


@pytest.mark.parametrize("header,lang", [
    (None, "en"), ("", "en"), ("zh", "zh"), ("zh-CN", "zh"), ("ZH-cn,zh;q=0.9", "zh"), ("en-US", "en"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "en"), ("en;q=0.5, zh-CN;q=0.9", "zh"), ("fr, zh;q=0.1", "zh"),
    ("fr-FR", "en"), ("*", "en"), ("zh;q=0", "en"), ("zh;q=abc", "en"), ("zh-Hant-TW", "zh"), (",,;", "en"),
])
def test_accept_language_picks_chinese_or_english(header, lang):
    assert languages.negotiate(header) == lang


@pytest.mark.parametrize("kind,ctx,zh", [
    ("missing", None, "必填项。"), ("int_parsing", None, "应为整数。"),
    ("greater_than_equal", {"ge": 1}, "应大于或等于 1。"), ("string_too_long", {"max_length": 64}, "最多 64 个字符。"),
    ("enum", {"expected": "'main', 'important' or 'general'"}, "应为以下之一：'main'、'important'、'general'。"),
    ("INVALID_DATE", {"message": "'31/02' is not a date"}, "日期格式应为 YYYY-MM-DD（如 2026-03-01），且须为真实存在的日期。"),
    ("some_new_type", None, "该项的值无效。"),
])
def test_validation_messages_have_chinese_texts_by_type(kind, ctx, zh):
    assert languages.validation_text("zh", kind, ctx, "Pydantic's English") == zh
    assert languages.validation_text("en", kind, ctx, "Pydantic's English") == "Pydantic's English"


HALF_WIDTH = re.compile(r"[\u4e00-\u9fff]\s*[,;:!?()]|[,;:!?()]\s*[\u4e00-\u9fff]")


def own_chinese_texts() -> dict[str, str]:
    """The error catalog and i18n.py's own texts (the other area modules have their owners)."""
    from api.web.texts import evidence, lists, phone, regions, todo

    others = set().union(*(m.TEXT.keys() for m in (evidence, lists, phone, regions, todo)))
    return {k: zh for k, (zh, _) in i18n.TEXT.items() if k not in others}


def test_chinese_texts_use_full_width_punctuation_and_say_fen_for_points():
    texts = own_chinese_texts()
    assert not {k: t for k, t in texts.items() if HALF_WIDTH.search(t)}
    assert not {k: t for k, t in texts.items() if re.search(r"\d\s*分值|累计", t)}  # "4 分"; a net figure is not 累计
    assert i18n.TEXT["search.first"][0].format(n=50) == "仅显示前 50 人，请缩小查询范围。"


def test_the_two_kinds_of_termination_read_differently():
    banned, terminated = i18n.TEXT["status.banned"][0], i18n.TEXT["status.terminated"][0]
    assert "禁止再登记" in banned and "禁止期满" in terminated and not terminated.startswith(banned[:2] + "，")
