"""Region names from GB/T 2260 codes, and how the pages label regions and institutions."""
import pytest

from api.region_names import region_label, region_name
from api.web.names import institution_label, name_helpers


@pytest.mark.parametrize("code, name", [
    ("000000", "全国"),
    ("110000", "北京市"),
    ("110105", "北京市朝阳区"),            # a municipality: no city level
    ("310101", "上海市黄浦区"),
    ("130100", "河北省石家庄市"),
    ("130102", "河北省石家庄市长安区"),    # province + city + county
    ("441900", "广东省东莞市"),            # a city without counties
    ("429004", "湖北省仙桃市"),            # a county-level city under its province
    ("653228", "新疆维吾尔自治区和田地区和康县"),  # created in 2024
])
def test_region_name_is_the_full_name(code, name):
    assert region_name(code) == name


@pytest.mark.parametrize("code", ["999999", "110199", "", "11"])
def test_an_unknown_code_has_no_name(code):
    assert region_name(code) is None


def test_labels_carry_the_code_in_each_language():
    assert region_label("110105") == "北京市朝阳区（110105）"
    assert region_label("110105", "en") == "北京市朝阳区 (110105)"
    assert region_label("000000") == "全国（000000）" and region_label("000000", "en") == "National (000000)"
    assert region_label("999999") == "999999" and region_label(None) == ""


def test_institution_labels_use_the_names_the_page_read():
    names = {"H11010500001": "北京市朝阳区第一医院"}
    assert institution_label("H11010500001", names) == "北京市朝阳区第一医院（H11010500001）"
    assert institution_label("H11010500001", names, "en") == "北京市朝阳区第一医院 (H11010500001)"
    assert institution_label("H11010599999", names) == "H11010599999"
    helpers = name_helpers("zh", {"institution_names": names})
    assert helpers["institution_named"]("H11010500001") == "北京市朝阳区第一医院（H11010500001）"
    assert helpers["region_label"]("110105") == "北京市朝阳区（110105）"
    assert name_helpers("en", None)["institution_named"]("H11010500001") == "H11010500001"
