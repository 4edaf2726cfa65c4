"""Settlement systems subscribe a URL to status changes of people in their region."""
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response

from api.deps import MAX_ID, ClaimsClientDep, SessionDep
from api.idempotency import IdempotencyDep
from api.pagination import CursorQuery, LimitQuery, Page, decode_cursor, paged
from api.webhooks import service
from api.webhooks.destinations import Allowlist
from api.webhooks.schemas import DeliveryPublic, SubscriptionCreated, SubscriptionIn, SubscriptionPublic

router = APIRouter(prefix="/v1/webhooks", tags=["settlement"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", response_model=SubscriptionCreated, status_code=201,
             summary="Subscribe a URL to status changes (signed POSTs, retried with backoff)")
def subscribe(request: Request, body: SubscriptionIn, session: SessionDep, who: ClaimsClientDep,
              idem: IdempotencyDep):
    settings = request.app.state.settings
    return idem.run(body, lambda: SubscriptionCreated.model_validate(service.subscribe(
        session, who, body.url, Allowlist(settings.webhook_allow), settings.webhook_max_per_client),
        from_attributes=True))


@router.get("", response_model=Page[SubscriptionPublic], summary="My subscriptions")
def subscriptions(request: Request, session: SessionDep, who: ClaimsClientDep, limit: LimitQuery = 100,
                  cursor: CursorQuery = None):
    filters = {"list": "webhooks"}
    rows = service.subscriptions(session, who, decode_cursor(cursor, filters), limit)
    items, next_cursor = paged(rows, limit, lambda r: (r.id,), filters)
    return Page[SubscriptionPublic].of(request, [SubscriptionPublic.model_validate(r, from_attributes=True)
                                                 for r in items], next_cursor,
                                       service.count_subscriptions(session, who))


@router.delete("/{subscription_id}", status_code=204, summary="Stop a subscription (kept, marked inactive)")
def unsubscribe(subscription_id: IdPath, session: SessionDep, who: ClaimsClientDep):
    service.unsubscribe(session, who, subscription_id)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=Page[DeliveryPublic],
            summary="Delivery state of a subscription's events, newest first")
def deliveries(request: Request, subscription_id: IdPath, session: SessionDep, who: ClaimsClientDep,
               state: Literal["pending", "delivered", "failed"] | None = None, limit: LimitQuery = 100,
               cursor: CursorQuery = None):
    filters = {"list": "deliveries", "subscription": subscription_id, "state": state}
    rows = service.deliveries(session, who, subscription_id, state, decode_cursor(cursor, filters), limit)
    items, next_cursor = paged(rows, limit, lambda r: (r.id,), filters)
    # no total: a subscription's deliveries grow with every status change in its region, year after year
    return Page[DeliveryPublic].of(request, [DeliveryPublic.model_validate(r, from_attributes=True) for r in items],
                                   next_cursor)
