"""The violation catalogue's sources (issue 12): every type says where it comes from and whether that source
fixes its band; article items as the regulation numbers them; the fraud behaviours in 10–12 from the change's
date without touching earlier records; an "其他" type in every band."""
import re
from datetime import date, timedelta
from importlib.resources import files

import pytest

from points.checks import check_record, check_review
from points.errors import PolicyError, RuleViolation
from points.ledger import ReviewOutcome
from points.policy import parse_policy
from tests.domain.helpers import POLICY

POLICY_TEXT = files("points").joinpath("data/policy.toml").read_text(encoding="utf-8")
CHANGE = date(2026, 11, 26)  # the choices of docs/rules.md apply from this day
BEFORE = CHANGE - timedelta(days=1)
REGIONS = ("110105", "120101", "310101")
BANDS = {"light": (1, 3), "heavier": (4, 6), "serious": (7, 9), "most_serious": (10, 12)}
REGULATION = "《医疗保障基金使用监督管理条例》"


def catalogue_days():
    return (date(2025, 1, 1), date(2025, 6, 1), BEFORE, CHANGE)


def test_every_type_cites_its_source_or_is_marked_without_one():
    assert POLICY.violations
    for v in POLICY.violations:
        if v.public_source:
            assert v.source and v.source_en, v
            # a document is named: a regulation or notice in 《》 or with its number 〔year〕, or a seed by its title
            assert re.search(r"《.+》|〔\d{4}〕|方案|发布会", v.source), v
        else:
            assert (v.source, v.source_en, v.source_fixes_band) == ("", "", False), v


def test_a_type_without_a_source_must_say_so_or_the_policy_does_not_load():
    row = '\n[[violations]]\ncode = "Z01"\nband = "light"\nname_zh = "z"\nname_en = "z"\nbasis = "b"\n'
    with pytest.raises(PolicyError, match="cite its source"):
        parse_policy(POLICY_TEXT + row)
    with pytest.raises(PolicyError, match="cite its source"):
        parse_policy(POLICY_TEXT + row + 'source = "《某文件》第一条"\n')  # no English
    assert parse_policy(POLICY_TEXT + row + "public_source = false\n").violation("Z01", "110105", CHANGE)
    with pytest.raises(PolicyError, match="without a public source"):
        parse_policy(POLICY_TEXT + row + 'public_source = false\nsource = "x"\nsource_en = "x"\n')
    with pytest.raises(PolicyError, match="without a public source"):
        parse_policy(POLICY_TEXT + row + "public_source = false\nsource_fixes_band = true\n")


@pytest.mark.parametrize("on", [date(2025, 6, 1), CHANGE])
@pytest.mark.parametrize("code,item", [
    ("S01", "第三十八条第(一)项"), ("H01", "第三十八条第(二)项"), ("H02", "第三十八条第(三)项"),
    ("S02", "第三十八条第(四)项"), ("S03", "第三十八条第(五)项"), ("H03", "第三十八条第(六)项"),
    ("F01", "第四十条第(一)项"), ("F02", "第四十条第(二)项"), ("F03", "第四十条第(三)项"),
])
def test_article_items_follow_the_regulation(code, item, on):
    """Art. 38: (一) 分解住院、挂床住院 (二) 过度诊疗… (三) 重复收费… (四) 串换… (五) 转卖药品、返还现金…
    (六) 纳入基金结算. The old catalogue cited each of (二)–(四) one item too early and H01 without its item."""
    v = POLICY.violation(code, "110105", on)
    assert REGULATION + item in v.source and item in v.basis


def test_the_old_off_by_one_citations_are_gone():
    for v in POLICY.violations:
        if v.code == "H02":
            assert "第(二)项" not in v.basis + v.source
        if v.code == "S02":
            assert "第(三)项" not in v.basis + v.source
        if v.code == "S03":
            assert "第(四)项" not in v.basis + v.source


FRAUD = {"F04": "挂床住院", "F05": "串换", "F06": "回流药", "F07": "兑付现金"}


@pytest.mark.parametrize("region", REGIONS)
def test_the_four_fraud_behaviours_are_in_the_top_band_for_decisions_from_the_change(region):
    for code, behaviour in FRAUD.items():
        v = check_record(POLICY, region, code, 12, CHANGE, CHANGE)
        assert behaviour in v.name_zh and (v.band, v.low, v.high) == ("most_serious", 10, 12)
        assert v.effective_from == CHANGE
        with pytest.raises(RuleViolation) as err:  # not for decisions made before the change
            check_record(POLICY, region, code, 12, BEFORE, CHANGE)
        assert err.value.code == "UNKNOWN_VIOLATION"
        with pytest.raises(RuleViolation) as err:
            check_record(POLICY, region, code, 9, CHANGE, CHANGE)
        assert err.value.code == "POINTS_OUTSIDE_BAND"


def _own_behaviours(name: str) -> str:
    """A type's name without its pointers to other types, e.g. "(挂床住院见 F04)"."""
    return re.sub(r"\([^)]*见 F\d\d[^)]*\)", "", name)


def test_from_the_change_no_lower_band_type_covers_the_fraud_behaviours():
    lower = [v for v in POLICY.catalogue("110105", CHANGE) if v.band != "most_serious"]
    for behaviour in ("挂床住院", "回流药", "兑付现金", "串换销售"):
        assert not [v.code for v in lower if behaviour in _own_behaviours(v.name_zh)], behaviour
    # and the narrowed types point the decider to the new ones
    assert "F04" in POLICY.violation("S01", "110105", CHANGE).name_zh
    assert "F05" in POLICY.violation("S02", "110105", CHANGE).name_zh
    assert {"F06", "F07"} <= set(re.findall(r"F\d\d", POLICY.violation("S03", "110105", CHANGE).name_zh))
    # before the change S01 still covered 挂床住院 (昌黎县专项治理方案 groups it with 虚构医疗服务; the old band was 7–9)
    assert "挂床住院" in _own_behaviours(POLICY.violation("S01", "110105", BEFORE).name_zh)


def test_a_past_s01_record_keeps_its_type_and_band():
    """A record decided before the change is read, reviewed and re-checked with the S01 in force on its decision
    date: same code, same 7–9 band, the wording it was decided under."""
    decided = date(2026, 9, 12)  # the demo's S01 record of 9 points, 75 days before the change
    v = check_record(POLICY, "110105", "S01", 9, decided, CHANGE)
    assert (v.band, v.low, v.high, v.name_zh) == ("serious", 7, 9, "分解住院、挂床住院")
    assert v.effective_to == BEFORE
    check_review(v, ReviewOutcome.CHANGE, 7, CHANGE, decided, CHANGE)
    with pytest.raises(RuleViolation, match="7–9"):
        check_review(v, ReviewOutcome.CHANGE, 10, CHANGE, decided, CHANGE)
    # S01 itself never changes band: a split admission decided after the change is still 7–9
    after = check_record(POLICY, "110105", "S01", 9, CHANGE, CHANGE)
    assert (after.band, after.effective_from) == ("serious", CHANGE) and after.name_zh.startswith("分解住院")
    for code in ("S01", "S02", "S03"):
        assert POLICY.violation(code, "110105", BEFORE).band == POLICY.violation(code, "110105", CHANGE).band


@pytest.mark.parametrize("on", catalogue_days())
def test_every_band_has_an_other_type_without_a_public_source(on):
    for region in REGIONS:
        others = {v.band: v for v in POLICY.catalogue(region, on) if v.name_zh.startswith("其他")}
        assert set(others) == set(BANDS), (region, on)
        for band, v in others.items():
            assert v.code.endswith("99") and not v.public_source and v.source == ""
            assert (v.low, v.high) == BANDS[band]
            check_record(POLICY, region, v.code, v.high, on, CHANGE)


def test_only_fraud_types_have_their_band_fixed_by_the_source():
    """Seed 003 fixes one band: 「最严重的欺诈骗保等行为记10-12分」. A type's source fixes its band when a public
    document calls the behaviour fraud (骗取 / 欺诈骗保); every other band is the project's choice."""
    fixed = {v.code for v in POLICY.violations if v.source_fixes_band}
    assert fixed == {"F01", "F02", "F03", "F05", "F06", "F07"}
    assert all(v.band == "most_serious" for v in POLICY.violations if v.source_fixes_band)
    # 挂床住院: 昌黎县专项治理方案 groups it with 虚构医疗服务, but the regulation lists it in art. 38, not as fraud (art. 40)
    assert not POLICY.violation("F04", "110105", CHANGE).source_fixes_band
