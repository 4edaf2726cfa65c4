from datetime import date

import pytest

from points.checks import check_record, check_review
from points.codes import parse_institution_code, parse_person_code, region_chain
from points.errors import InvalidCode, PolicyError, RuleViolation
from points.ledger import ReviewOutcome
from points.policy import parse_policy
from tests.domain.helpers import POLICY

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize("code,prefix,region", [
    ("D110105000123", "D", "110105"), ("HY310101000042", "HY", "310101"), ("hj440305000001", "HJ", "440305"),
])
def test_national_person_codes_of_known_shapes_parse(code, prefix, region):
    parsed = parse_person_code(code)
    assert (parsed.prefix, parsed.region, str(parsed)) == (prefix, region, code.upper())


@pytest.mark.parametrize("code", ["D11010500012", "D1101050001234", "X110105000123", "D990105000123", "HY31010100004A"])
def test_malformed_person_codes_are_rejected(code):
    with pytest.raises(InvalidCode):
        parse_person_code(code)


def test_person_code_prefixes_are_configurable():
    with pytest.raises(InvalidCode, match="unknown prefix"):
        parse_person_code("HN110105000123")
    assert parse_person_code("HN110105000123", ("D", "HN")).prefix == "HN"


def test_institution_codes():
    assert parse_institution_code("h11010500001") == "H11010500001"
    for bad in ("H1101050000", "X11010500001", "P99010500001"):
        with pytest.raises(InvalidCode):
            parse_institution_code(bad)


def test_region_chain_goes_from_national_to_county():
    assert region_chain("120101") == ("000000", "120000", "120100", "120101")
    assert region_chain("120000") == ("000000", "120000")


def test_national_parameters_come_from_the_policy_file():
    p = POLICY.parameters("110105", TODAY)
    assert (p.suspend_at, p.terminate_at, p.ban_years_accumulated, p.ban_years_single_record) == (9, 12, 1, 3)
    assert (p.suspension_months_min, p.suspension_months_max, p.talk_at, p.repair_cap_per_year) == (1, 6, 0, 0)


def test_a_region_overrides_only_what_it_names():
    p = POLICY.parameters("120101", TODAY)
    assert (p.talk_at, p.repair_cap_per_year, p.suspend_at) == (6, 4, 9)


def test_a_new_dated_row_changes_values_from_its_date_without_code():
    text = POLICY_TEXT + '\n[[parameters]]\nregion = "000000"\neffective_from = 2027-01-01\nsuspend_at = 8\n'
    policy = parse_policy(text)
    assert policy.parameters("110105", date(2026, 12, 31)).suspend_at == 9
    assert policy.parameters("110105", date(2027, 1, 1)).suspend_at == 8


def test_unknown_parameters_and_bands_are_policy_errors():
    with pytest.raises(PolicyError, match="unknown parameters"):
        parse_policy(POLICY_TEXT + '\n[[parameters]]\neffective_from = 2027-01-01\nsuspend_after = 8\n')
    with pytest.raises(PolicyError, match="unknown band"):
        parse_policy(POLICY_TEXT + '\n[[violations]]\ncode="Z"\nband="huge"\nname_zh=""\nname_en=""\nbasis=""\n')


def test_each_violation_type_fixes_its_band():
    v = check_record(POLICY, "110105", "F02", 10, date(2025, 5, 1), TODAY)
    assert (v.band, v.low, v.high) == ("most_serious", 10, 12)
    with pytest.raises(RuleViolation) as err:
        check_record(POLICY, "110105", "H01", 7, date(2025, 5, 1), TODAY)
    assert err.value.code == "POINTS_OUTSIDE_BAND"


def test_future_decision_dates_and_unknown_violations_are_refused():
    with pytest.raises(RuleViolation) as err:
        check_record(POLICY, "110105", "L01", 1, date(2025, 6, 2), TODAY)
    assert err.value.code == "DATE_IN_FUTURE"
    with pytest.raises(RuleViolation) as err:
        check_record(POLICY, "110105", "NOPE", 1, date(2025, 5, 1), TODAY)
    assert err.value.code == "UNKNOWN_VIOLATION"


def test_a_regional_violation_type_exists_only_in_its_region_and_from_its_date():
    assert check_record(POLICY, "110105", "L90", 2, date(2025, 3, 1), TODAY).region == "110000"
    for region, on in (("310101", date(2025, 5, 1)), ("110105", date(2025, 2, 28))):
        with pytest.raises(RuleViolation):
            check_record(POLICY, region, "L90", 2, on, TODAY)


def test_review_changes_stay_in_the_band_and_other_outcomes_carry_no_points():
    v = POLICY.violation("S01", "110105", TODAY)
    check_review(v, ReviewOutcome.CHANGE, 7, TODAY, date(2025, 5, 1), TODAY)
    with pytest.raises(RuleViolation, match="7–9"):
        check_review(v, ReviewOutcome.CHANGE, 3, TODAY, date(2025, 5, 1), TODAY)
    with pytest.raises(RuleViolation) as err:
        check_review(v, ReviewOutcome.ANNUL, 3, TODAY, date(2025, 5, 1), TODAY)
    assert err.value.code == "POINTS_NOT_ALLOWED"
    with pytest.raises(RuleViolation) as err:
        check_review(v, ReviewOutcome.CONFIRM, None, date(2025, 4, 1), date(2025, 5, 1), TODAY)
    assert err.value.code == "REVIEW_BEFORE_RECORD"


from importlib.resources import files  # noqa: E402

POLICY_TEXT = files("points").joinpath("data/policy.toml").read_text(encoding="utf-8")
