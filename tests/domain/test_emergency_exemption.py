"""Emergency and rescue care (急救、抢救) is settled during a suspension only (郎溪县 press conference, 2025: "暂停期内…不予结算（急救、
抢救除外）", "终止期内…将不予结算" with no exception). Which states are exempt is a dated regional parameter,
`emergency_exempt_states`, looked up by the person's region on the service date."""
from datetime import date as D
from importlib.resources import files

import pytest

from points import Reason, Rule, Status, derive, eligibility, parse_policy
from points.codes import person_region
from points.errors import PolicyError
from tests.domain.helpers import BEIJING, POLICY, ledger, rec

XINJIANG = "650102"
# A test region that also exempts the ban and the time after it, from 1 January 2026.
EXTENDED = parse_policy(files("points").joinpath("data/policy.toml").read_text(encoding="utf-8") + """
[[parameters]]
region = "650000"
effective_from = 2026-01-01
source = "test: a provincial rule extending the exemption"
emergency_exempt_states = ["suspended", "banned", "terminated"]
""")


def settle(policy, region, lg, day, emergency=True):
    return eligibility(derive(lg, policy), day, emergency, policy.emergency_exempt(region, day))


def test_national_emergency_care_during_a_suspension_is_eligible():
    e = settle(POLICY, BEIJING, ledger(rec(1, 9, D(2025, 3, 15))), D(2025, 4, 1))
    assert (e.eligible, e.status, e.reason, e.rule, e.until) == (
        True, Status.SUSPENDED, Reason.EMERGENCY_EXEMPT, Rule.EMERGENCY, D(2025, 4, 15))


def test_national_emergency_care_during_a_ban_is_not_eligible():
    e = settle(POLICY, BEIJING, ledger(rec(1, 12, D(2025, 3, 15))), D(2025, 5, 1))
    assert (e.eligible, e.status, e.reason, e.rule, e.until) == (
        False, Status.BANNED, Reason.TERMINATED, Rule.BAN, D(2028, 3, 15))


def test_national_emergency_care_after_the_ban_before_re_registration_is_not_eligible():
    e = settle(POLICY, BEIJING, ledger(rec(1, 12, D(2025, 3, 15))), D(2028, 3, 16))
    assert (e.eligible, e.status, e.reason) == (False, Status.TERMINATED, Reason.TERMINATED)


def test_the_national_default_needs_no_policy_row():
    assert eligibility(derive(ledger(rec(1, 9, D(2025, 3, 15))), POLICY), D(2025, 4, 1), emergency=True).eligible
    assert not eligibility(derive(ledger(rec(1, 12, D(2025, 3, 15))), POLICY), D(2025, 5, 1), emergency=True).eligible


def test_a_region_that_extends_the_exemption_exempts_the_ban_from_its_effective_date_only():
    lg = ledger(rec(1, 12, D(2025, 3, 15)), region=XINJIANG)
    before, on = settle(EXTENDED, XINJIANG, lg, D(2025, 12, 31)), settle(EXTENDED, XINJIANG, lg, D(2026, 1, 1))
    assert (before.eligible, before.reason) == (False, Reason.TERMINATED)
    assert (on.eligible, on.status, on.reason, on.rule) == (True, Status.BANNED, Reason.EMERGENCY_EXEMPT, Rule.EMERGENCY)
    after_ban = settle(EXTENDED, XINJIANG, lg, D(2028, 3, 16))
    assert (after_ban.eligible, after_ban.status) == (True, Status.TERMINATED)
    assert not settle(EXTENDED, XINJIANG, lg, D(2026, 1, 1), emergency=False).eligible  # only emergency care


def test_an_extended_exemption_applies_only_to_people_of_that_region():
    assert not settle(EXTENDED, BEIJING, ledger(rec(1, 12, D(2025, 3, 15))), D(2026, 1, 1)).eligible
    assert EXTENDED.emergency_exempt(BEIJING, D(2026, 6, 1)) == {Status.SUSPENDED}
    assert EXTENDED.emergency_exempt(XINJIANG, D(2026, 6, 1)) == {Status.SUSPENDED, Status.BANNED, Status.TERMINATED}


def test_the_region_is_read_from_the_person_code():
    assert [person_region(c) for c in ("D650102000001", "HY650102000001", "HJ110105000042")] == [
        "650102", "650102", "110105"]


def test_the_exemption_lookup_agrees_with_the_parameters_on_every_day():
    for day in (D(2024, 1, 1), D(2025, 12, 31), D(2026, 1, 1), D(2099, 12, 31)):
        for region in (BEIJING, XINJIANG, "650000", "120101"):
            assert EXTENDED.emergency_exempt(region, day) == EXTENDED.parameters(region, day).emergency_exempt_states


@pytest.mark.parametrize("row, message", [
    ('emergency_exempt_states = ["suspended", "banned"]', "without citing its source"),
    ('source = "x"\nemergency_exempt_states = ["normal"]', "are not among"),
    ('source = "x"\nemergency_exempt_states = "banned"', "are not among"),
])
def test_an_extended_exemption_must_cite_its_source_and_name_sanctioned_states(row, message):
    text = files("points").joinpath("data/policy.toml").read_text(encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        parse_policy(text + f'\n[[parameters]]\nregion = "650000"\neffective_from = 2026-01-01\n{row}\n')
