"""The 操作日志 (history) section of a supervisor's person page: the audit entries about the person (records,
reviews, decisions, registrations, objections, status changes), newest first, 50 at a time, each as when (China
time), who (the user, and the region of the token issued under that name), what (in the page's language) and
why. Only a supervisor who sees the person sees them (the page itself checks that)."""
import re
from datetime import UTC, datetime

from fastapi import Request
from sqlalchemy import select
from sqlmodel import Session

from api.audit_history import HistoryItem, count_history, person_history
from api.db.models import ApiToken
from api.errors import InvalidRequest
from api.web.i18n import translator
from api.web.render import language
from points.dates import CHINA

PER_PAGE = 50
SYSTEM_ACTORS = {"calendar", "scheduler", "system"}


def _when(at: datetime) -> str:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _who(t, actor: str, tokens: dict[str, set[tuple[str, str]]]) -> str:
    if actor in SYSTEM_ACTORS:
        return t("history.system")
    issued = tokens.get(actor, set())
    if any(role == "practitioner" for role, _ in issued):
        return t("history.who_region", name=actor, regions=t("history.self"))
    regions = sorted(scope for role, scope in issued if role == "supervisor")
    return t("history.who_region", name=actor, regions=t("history.regions_sep").join(regions)) if regions else actor


CAUSES = [(re.compile(r"registration"), "registration"), (re.compile(r"record (\d+)"), "record"),
          (re.compile(r"review \d+ \(\w+\) of record (\d+)"), "review"),
          (re.compile(r"suspension decision"), "suspension"), (re.compile(r"repair \d+"), "repair"),
          (re.compile(r"registration \d+ ended"), "ended"), (re.compile(r"calendar"), "calendar")]


def _value(t, name: str, value) -> str:
    if value is None:
        return "–"
    if name in ("status", "category"):
        return t(f"{name}.{value}")
    if name == "state":  # an objection's
        return t(f"objection.{value}")
    if name == "media_type":  # an evidence file's
        return t(f"evidence.kind.{value}")
    return str(value)


def _why(t, action: str, reason: str) -> str:
    """A status change's cause, as the ledger words it, in the page's language; a person's reason as written."""
    if action == "practitioner.status":
        for pattern, key in CAUSES:
            match = pattern.fullmatch(reason)
            if match:
                return t(f"history.cause.{key}", n=match.group(1)) if match.groups() else t(f"history.cause.{key}")
    return reason


def _what(t, item: HistoryItem) -> str:
    """The action in words, then each value that changed (before → after) or was set."""
    key = f"history.action.{item.action}"
    words = t(key)
    before, after = item.before or {}, item.after or {}
    changes = []
    for name in [*before, *(k for k in after if k not in before)]:
        if before.get(name) == after.get(name) and name in before and name in after:
            continue
        label = t(f"history.field.{name}")
        label = name if label == f"history.field.{name}" else label
        if name in before:
            changes.append(f"{label} {_value(t, name, before[name])} → {_value(t, name, after.get(name))}")
        else:
            changes.append(f"{label} {_value(t, name, after[name])}")
    action = item.action if words == key else words
    return t("history.changes", action=action, changes=t("history.sep").join(changes)) if changes else action


def history_for(request: Request, session: Session, code: str) -> dict:
    """The section's context for the page asked (`?history=<cursor>`: older entries)."""
    return history_context(session, translator(language(request)), code, request.query_params.get("history"))


def history_context(session: Session, t, code: str, cursor: str | None) -> dict:
    try:
        items, next_cursor = person_history(session, code, PER_PAGE, cursor)
    except InvalidRequest:  # a stale or edited cursor: the newest entries
        cursor = None
        items, next_cursor = person_history(session, code, PER_PAGE, None)
    actors = {i.actor for i in items}
    tokens: dict[str, set[tuple[str, str]]] = {}
    for name, role, scope in session.execute(select(ApiToken.name, ApiToken.role, ApiToken.scope)
                                             .where(ApiToken.name.in_(actors))):
        tokens.setdefault(name, set()).add((role, scope))
    rows = [{"when": _when(i.at), "who": _who(t, i.actor, tokens), "what": _what(t, i),
             "why": _why(t, i.action, i.reason)}
            for i in items]
    return {"history": rows, "history_total": count_history(session, code), "history_next": next_cursor,
            "history_paged": bool(cursor)}
