from pydantic import BaseModel, Field

from api.webhooks.schemas import StatusChange


class StatusChangePage(BaseModel):
    items: list[StatusChange]
    next_cursor: str = Field(description="pass as `since` for the next page, or to poll: never null")
    next: str = Field(description="the next page's path and query, with `since` and `limit` filled in")
    has_more: bool = Field(description="true: more changes are waiting now; false: poll again later")
