"""Subscriptions: only to destinations on the operator's allowlist, a capped number per client, and stopped with
the token that made them."""
import secrets
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session

from api.audit import audit
from api.auth.tokens import Principal
from api.clock import utcnow
from api.db.models import ApiToken, WebhookDelivery, WebhookSubscription
from api.errors import Conflict, InvalidRequest, NotFound
from api.pagination import Key, count, keyset
from api.webhooks.destinations import Allowlist, DestinationRefused


def subscribe(session: Session, who: Principal, url: str, allow: Allowlist, max_per_client: int) -> WebhookSubscription:
    try:
        allow.check_url(url)
    except DestinationRefused as exc:
        raise InvalidRequest(f"{exc}; ask the operator to allow it (POINTS_WEBHOOK_ALLOW)",
                             "WEBHOOK_DESTINATION_NOT_ALLOWED") from None
    # one subscriber at a time per client, so parallel requests cannot pass the cap together
    session.execute(select(ApiToken.id).where(ApiToken.id == who.id).with_for_update())
    active = session.scalar(select(func.count()).select_from(WebhookSubscription)
                            .where(WebhookSubscription.owner == who.id, WebhookSubscription.active.is_(True)))
    if active >= max_per_client:
        raise Conflict(f"this client already has {active} active subscriptions (at most {max_per_client}); "
                       "delete one first", "WEBHOOK_LIMIT")
    row = WebhookSubscription(owner=who.id, owner_name=who.name, region_prefix=who.region_prefix, url=url,
                              secret=secrets.token_urlsafe(32), created_at=utcnow())
    session.add(row)
    session.flush()
    audit(session, who.name, "webhook.subscribe", "webhook_subscription", row.id, detail={"url": url})
    return row


def own_subscription(session: Session, who: Principal, subscription_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or row.owner != who.id:
        raise NotFound(f"no subscription {subscription_id}", "SUBSCRIPTION_NOT_FOUND")
    return row


def unsubscribe(session: Session, who: Principal, subscription_id: int) -> None:
    row = own_subscription(session, who, subscription_id)
    if row.active:
        row.active, row.deactivated_at = False, utcnow()
        audit(session, who.name, "webhook.unsubscribe", "webhook_subscription", row.id)


def stop_subscriptions_of_token(session: Session, token_id: str, now: datetime) -> int:
    """A revoked token's subscriptions stop at once (delivery also skips them while the token is revoked)."""
    return session.execute(update(WebhookSubscription)
                           .where(WebhookSubscription.owner == token_id, WebhookSubscription.active.is_(True))
                           .values(active=False, deactivated_at=now)).rowcount


def subscriptions(session: Session, who: Principal, after: Key | None, limit: int) -> list[WebhookSubscription]:
    query = select(WebhookSubscription).where(WebhookSubscription.owner == who.id)
    return list(session.scalars(keyset(query, [WebhookSubscription.id], after, limit)))


def count_subscriptions(session: Session, who: Principal) -> int:
    return count(session, select(WebhookSubscription.id).where(WebhookSubscription.owner == who.id))


def deliveries(session: Session, who: Principal, subscription_id: int, state: str | None, after: Key | None,
               limit: int) -> list[WebhookDelivery]:
    """Newest first."""
    own_subscription(session, who, subscription_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if state:
        query = query.where(WebhookDelivery.state == state)
    return list(session.scalars(keyset(query, [WebhookDelivery.id], after, limit, descending=True)))
