"""What the person page shows, for a supervisor and for the person: the view, its picture, and the
suspensions still waiting for a length decision."""
from datetime import date

from api.people.schemas import PersonView
from api.web.picture import person_picture
from points import Policy


def person_context(view: PersonView, policy: Policy, today: date) -> dict:
    params = policy.parameters(view.region, today)
    undecided = [s for s in view.sanctions if s.kind == "suspension" and not s.months_decided and not s.revoked]
    return {
        "view": view,
        "picture": person_picture(view, params.suspend_at, params.terminate_at),
        "params": params,
        "months": range(params.suspension_months_min, params.suspension_months_max + 1),
        "undecided": undecided,
        "today": today,
    }
