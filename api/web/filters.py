"""A list page's filters as typed in its query string (`q`, `status`, `institution`, `violation`, `from`, `to`,
`page`): checked value by value, each refusal a text key shown beside the field, and what was typed kept."""
import re
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from points.codes import InvalidCode, parse_institution_code
from points.dates import parse_day
from points.errors import RuleViolation
from points.privacy import mask_id_numbers

_PAGE = re.compile(r"[0-9]{1,6}")  # ASCII digits: str.isdigit() also takes '²'

PER_PAGE = 50
NAMES = ("q", "status", "institution", "violation", "from", "to")


@dataclass(frozen=True)
class Filters:
    q: str = ""
    status: str = ""
    institution: str = ""
    violation: str = ""
    start: date | None = None  # `from`
    end: date | None = None    # `to`
    page: int = 1
    default_status: str = ""  # an absent `status` means this one (objections: open); an empty one, any
    typed: dict[str, str] = field(default_factory=dict)   # as the user typed them, for the form
    errors: dict[str, str] = field(default_factory=dict)  # parameter -> text key

    def query(self, **changes) -> str:
        """The filters as a query string (what was typed), with `changes` (e.g. page=3); empty values left out."""
        values = {**self.typed, **{k: str(v) for k, v in changes.items()}}
        kept = [(k, v) for k, v in values.items() if v or (k == "status" and self.default_status)]
        return urlencode([(k, v) for k, v in kept if not (k == "page" and v == "1")])

    def at_page(self, page: int) -> "Filters":
        return replace(self, page=page)


def _day(text: str) -> date | None:
    try:
        return parse_day(text) if text else None
    except RuleViolation:
        raise ValueError from None


def parse_filters(params, statuses: tuple[str, ...], violations: set[str], default_status: str = "") -> Filters:
    """`params`: the request's query parameters. An absent `status` means `default_status`; an empty one, any."""
    typed = {k: mask_id_numbers(params.get(k, "").strip())[:64] for k in NAMES}
    typed["status"] = params.get("status", default_status).strip()[:32]
    errors: dict[str, str] = {}
    status, violation = typed["status"], typed["violation"].upper()
    if status and status not in statuses:
        errors["status"] = "list.bad_status"
    if violation and violation not in violations:
        errors["violation"] = "list.bad_violation"
    institution = typed["institution"]
    if institution:
        try:
            institution = parse_institution_code(institution)
        except InvalidCode:
            errors["institution"] = "list.bad_institution"
    days = {}
    for name in ("from", "to"):
        try:
            days[name] = _day(typed[name])
        except ValueError:
            errors[name], days[name] = "list.bad_date", None
    if days["from"] and days["to"] and days["from"] > days["to"]:
        errors["to"] = "list.from_after_to"
    page = params.get("page", "1")
    page = int(page) if _PAGE.fullmatch(page) and int(page) > 0 else 1
    return Filters(q=typed["q"], status=status, institution=institution, violation=violation,
                   start=days["from"], end=days["to"], default_status=default_status, page=page, typed=typed,
                   errors=errors)


def pages(total: int, per_page: int = PER_PAGE) -> int:
    return max(1, -(-total // per_page))


def page_numbers(page: int, last: int) -> list[int | None]:
    """The page links to show: the first, the last, two either side of `page`; None for a gap (…)."""
    shown = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out
