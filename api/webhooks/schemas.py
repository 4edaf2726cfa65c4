from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from points.privacy import has_id_number


class SubscriptionIn(BaseModel):
    url: str = Field(max_length=500, examples=["https://settlement.example.gov.cn/hooks/points"])

    model_config = {"json_schema_extra": {"examples": [{"url": "https://settlement.example.gov.cn/hooks/points"}]}}

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        if has_id_number(v):  # refused rather than masked: a masked URL would deliver somewhere else
            raise ValueError("the URL must not contain a national ID number")
        return v


class SubscriptionPublic(BaseModel):
    id: int
    url: str
    region_prefix: str
    active: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionPublic):
    secret: str = Field(description="shown once: verify X-Points-Signature with it")


class DeliveryPublic(BaseModel):
    id: int
    event_id: int
    state: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
