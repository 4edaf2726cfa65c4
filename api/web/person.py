"""What the person page shows, for a supervisor and for the person: the view, its picture, and the
suspensions whose length may be decided or corrected (a later decision corrects the earlier one)."""
from datetime import date

from api.people.schemas import PersonView
from api.web.picture import person_picture
from points import Policy


def person_context(view: PersonView, policy: Policy, today: date) -> dict:
    params = policy.parameters(view.region, today)
    decidable = [s for s in view.sanctions if s.kind == "suspension" and not s.revoked]
    return {
        "view": view,
        "picture": person_picture(view, params.suspend_at, params.terminate_at),
        "params": params,
        "months": range(params.suspension_months_min, params.suspension_months_max + 1),
        "decidable": decidable,
        "today": today,
    }
