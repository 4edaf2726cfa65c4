"""Settlement systems subscribe a URL to status changes of people in their region."""
import secrets
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from api.audit import audit
from api.clock import utcnow
from api.db.models import WebhookDelivery, WebhookSubscription
from api.deps import MAX_ID, ClaimsClientDep, SessionDep
from api.errors import NotFound
from api.idempotency import IdempotencyDep
from api.webhooks.schemas import DeliveryPublic, SubscriptionCreated, SubscriptionIn, SubscriptionPublic

router = APIRouter(prefix="/v1/webhooks", tags=["settlement"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def _own(session, who, subscription_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or row.owner != who.id:
        raise NotFound(f"no subscription {subscription_id}", "SUBSCRIPTION_NOT_FOUND")
    return row


@router.post("", response_model=SubscriptionCreated, status_code=201,
             summary="Subscribe a URL to status changes (signed POSTs, retried with backoff)")
def subscribe(body: SubscriptionIn, session: SessionDep, who: ClaimsClientDep, idem: IdempotencyDep):
    def run():
        row = WebhookSubscription(owner=who.id, owner_name=who.name, region_prefix=who.region_prefix, url=body.url,
                                  secret=secrets.token_urlsafe(32), created_at=utcnow())
        session.add(row)
        session.flush()
        audit(session, who.name, "webhook.subscribe", "webhook_subscription", row.id, detail={"url": body.url})
        return SubscriptionCreated.model_validate(row, from_attributes=True)

    return idem.run(body, run)


@router.get("", response_model=list[SubscriptionPublic], summary="My subscriptions")
def subscriptions(session: SessionDep, who: ClaimsClientDep):
    rows = session.scalars(select(WebhookSubscription).where(WebhookSubscription.owner == who.id)
                           .order_by(WebhookSubscription.id))
    return [SubscriptionPublic.model_validate(r, from_attributes=True) for r in rows]


@router.delete("/{subscription_id}", status_code=204, summary="Stop a subscription (kept, marked inactive)")
def unsubscribe(subscription_id: IdPath, session: SessionDep, who: ClaimsClientDep):
    row = _own(session, who, subscription_id)
    if row.active:
        row.active, row.deactivated_at = False, utcnow()
        audit(session, who.name, "webhook.unsubscribe", "webhook_subscription", row.id)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=list[DeliveryPublic],
            summary="Delivery state of a subscription's events")
def deliveries(subscription_id: IdPath, session: SessionDep, who: ClaimsClientDep, state: str | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    _own(session, who, subscription_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if state:
        query = query.where(WebhookDelivery.state == state)
    rows = session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit))
    return [DeliveryPublic.model_validate(r, from_attributes=True) for r in rows]
