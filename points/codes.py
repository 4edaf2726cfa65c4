"""National codes (医保相关人员代码, 定点医药机构代码): shape validation only.

Person: prefix + 6-digit region (GB/T 2260) + 6-digit sequence, e.g. D110105000123, HY310101000042.
The accepted prefixes come from the policy file, so a new kind of staff needs no code change.
"""
import re
from dataclasses import dataclass

from points.errors import InvalidCode

# First two digits of GB/T 2260 codes: provinces, autonomous regions, municipalities, HK/MO/TW.
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
NATIONAL = "000000"


@dataclass(frozen=True)
class PersonCode:
    prefix: str
    region: str
    sequence: str

    def __str__(self) -> str:
        return f"{self.prefix}{self.region}{self.sequence}"


def _check_region(region: str, code: str) -> None:
    if region[:2] not in PROVINCES:
        raise InvalidCode(f"{code!r}: {region} is not a GB/T 2260 region code")


def parse_person_code(code: str, prefixes: tuple[str, ...] = ("D", "HY", "HJ")) -> PersonCode:
    text = code.strip().upper()
    for prefix in sorted(prefixes, key=len, reverse=True):
        if text.startswith(prefix):
            rest = text[len(prefix):]
            if not re.fullmatch(r"\d{12}", rest):
                raise InvalidCode(f"{code!r}: expected {prefix} + 6-digit region + 6-digit sequence")
            _check_region(rest[:6], code)
            return PersonCode(prefix, rest[:6], rest[6:])
    raise InvalidCode(f"{code!r}: unknown prefix; accepted: {', '.join(prefixes)}")


def check_person_code_shape(code: str) -> str:
    """Prefix-agnostic shape check (letters + 6-digit region + 6-digit sequence), for lookups."""
    text = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{1,4}\d{12}", text):
        raise InvalidCode(f"{code!r}: expected a prefix + 6-digit region + 6-digit sequence")
    _check_region(text[-12:-6], code)
    return text


def parse_institution_code(code: str) -> str:
    """定点医药机构代码: H (medical) or P (pharmacy) + 6-digit region + 5-digit sequence."""
    text = code.strip().upper()
    if not re.fullmatch(r"[HP]\d{11}", text):
        raise InvalidCode(f"{code!r}: expected H or P + 6-digit region + 5-digit sequence")
    _check_region(text[1:7], code)
    return text


def person_region(code: str) -> str:
    """The administering region of a well-formed person code: the 6 digits before the sequence."""
    return code[-12:-6]


def region_chain(region: str) -> tuple[str, ...]:
    """Most general first: national, province, city, county (duplicates dropped)."""
    chain = [NATIONAL, region[:2] + "0000", region[:4] + "00", region]
    return tuple(dict.fromkeys(chain))
