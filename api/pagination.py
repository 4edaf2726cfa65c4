"""One paging style for every list: `?limit=1..1000&cursor=<opaque>` answers
`{"items": [...], "next_cursor": "<opaque>" | null, "next": "<URL of the next page>" | null, "total": n | null}`
(`Page.of`; `total` only where a count is cheap: an indexed filter over a small set, such as one person's rows).

Pages are read by keyset (`WHERE key > last ORDER BY key LIMIT n+1`): a page costs the same at any depth, there
are no offsets, and rows inserted during a walk are never repeated. A cursor is base64url JSON holding the last
row's key and a hash of the filters the list was asked with, so it is refused with other filters. It carries no
authority: the caller's scope is applied in the same SQL on every page, whoever made the cursor."""
import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from api.errors import InvalidRequest

MAX_LIMIT = 1000
Key = tuple[int | str, ...]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page (1..1000)")]
CursorQuery = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page")]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")
    next: str | None = Field(default=None, description="the next page's URL (path and query: the same filters and "
                             "limit, with `cursor`); null on the last page", examples=[
                                 "/v1/practitioners?status=suspended&limit=2&cursor=eyJrIjpbIkQxMTAxMDUwMDAyMDciXX0"])
    total: int | None = Field(default=None, description="how many items the whole list holds with these filters "
                              "(counted with each page); null on lists that may hold millions, where a count "
                              "would scan them")

    @classmethod
    def of(cls, request: Request, items: list, next_cursor: str | None, total: int | None = None):
        """A page of `items`, with the link to the next one (the request's own path and query, `cursor` replaced)."""
        return cls(items=items, next_cursor=next_cursor, next=next_link(request, next_cursor), total=total)


def next_link(request: Request, next_cursor: str | None) -> str | None:
    """The URL (relative) of the next page: this request's path and parameters, with `cursor` (and its older name
    `after`) replaced by `next_cursor`; None on the last page."""
    if next_cursor is None:
        return None
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "after")]
    return f"{quote(request.url.path)}?{urlencode([*query, ('cursor', next_cursor)])}"


def count(session: Session, query: Select) -> int:
    """How many rows `query` selects (its order dropped): for `total`, on an indexed filter only."""
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def _filters_hash(filters: dict[str, Any]) -> str:
    canonical = json.dumps({k: None if v is None else str(v) for k, v in filters.items()}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(key: Sequence[int | str], filters: dict[str, Any]) -> str:
    """The opaque cursor after the row with sort key `key`, valid only with these `filters`."""
    payload = json.dumps({"k": list(key), "f": _filters_hash(filters)}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(message, "CURSOR_INVALID")


def decode_cursor(cursor: str | None, filters: dict[str, Any], shape: tuple[type, ...] = (int,)) -> Key | None:
    """The key a cursor continues after (None: the first page). 422 CURSOR_INVALID for anything that is not a
    cursor of this list with these filters, or whose key does not have the list's `shape` (types per column)."""
    if not cursor:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("the cursor is not one this service issued") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("k"), list):
        raise _invalid("the cursor is not one this service issued")
    key = payload["k"]
    if len(key) != len(shape) or any(type(v) is not t for v, t in zip(key, shape)):
        raise _invalid("the cursor is not one this service issued")
    if payload.get("f") != _filters_hash(filters):
        raise _invalid("the cursor belongs to a list asked with other filters; start again without a cursor")
    return tuple(key)


def _beyond(cols: Sequence[ColumnElement], key: Key, descending: bool) -> ColumnElement:
    """(c1, c2, ...) > (k1, k2, ...) spelled out, which every database can answer from an index."""
    def past(col, value):
        return col < value if descending else col > value

    return or_(*(and_(*(c == v for c, v in zip(cols[:i], key[:i])), past(col, key[i]))
                 for i, col in enumerate(cols)))


def keyset(query: Select, cols: Sequence[ColumnElement], after: Key | None, limit: int,
           descending: bool = False) -> Select:
    """`query` ordered by `cols` (a unique key), the rows after `after`, limit+1 of them: the extra row only says
    that another page exists."""
    if after is not None:
        query = query.where(_beyond(cols, after, descending))
    return query.order_by(*(c.desc() if descending else c for c in cols)).limit(limit + 1)


def paged(rows: Sequence[T], limit: int, key_of: Callable[[Any], Sequence[int | str]],
          filters: dict[str, Any]) -> tuple[list[T], str | None]:
    """The page's rows (at most `limit`) and the cursor of the next page, from keyset's limit+1 rows."""
    rows = list(rows)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(key_of(rows[-1]), filters)
