"""National ID numbers (居民身份证号码) never leave the service: free text is masked on the way in.

An ID number is 18 characters: a 6-digit region, the birth date (yyyymmdd), a 3-digit sequence and a check
digit (0-9 or X). People write it with spaces or hyphens between the groups, in full-width digits (０-９, Ｘ),
or glued to a label (`ID110105199001011234`, `身份证110105…`); every such form is found. The birth date must be
a plausible one, and the number must not be part of a longer run of digits, so staff codes (D110105000123),
institution codes (H11010500001), dates, phone numbers and amounts are left alone.
"""
import re

_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")
# between any two characters: up to 3 spaces, hyphens or dashes (ASCII, full-width, typographic, zero-width)
_SEP = r"[\s\-\u2010-\u2015\u2212\uff0d\u200b-\u200d\ufeff]{0,3}"


def _digit(ascii_class: str) -> str:
    """'0-2' -> '[0-2０-２]': the ASCII digits and their full-width forms."""
    return "[" + ascii_class + re.sub(r"\d", lambda m: chr(ord(m.group()) + 0xFEE0), ascii_class) + "]"


def _run(*classes: str) -> str:
    return _SEP.join(_digit(c) for c in classes)


def _either(*runs: str) -> str:
    return "(?:" + "|".join(runs) + ")"


_REGION = _run("1-9", "0-9", "0-9", "0-9", "0-9", "0-9")
_BIRTH = _SEP.join([_either(_run("1", "89"), _run("2", "0")), _run("0-9", "0-9"),  # 1800-2099
                    _either(_run("0", "1-9"), _run("1", "0-2")),                     # month
                    _either(_run("0", "1-9"), _run("12", "0-9"), _run("3", "01"))])  # day
_CHECK = "[0-9０-９XxＸｘ]"
_NOT_DIGIT = "０-９0-9"
ID_NUMBER = re.compile(f"(?<![{_NOT_DIGIT}])({_REGION}){_SEP}{_BIRTH}{_SEP}{_run('0-9', '0-9', '0-9')}{_SEP}"
                       f"({_CHECK})(?![{_NOT_DIGIT}])")
_MIN_LENGTH = 18


def _masked(match: re.Match) -> str:
    region = re.sub(r"\D", "", match.group(1).translate(_FULL_WIDTH))
    return region + "*" * 11 + match.group(2).translate(_FULL_WIDTH).upper()


def mask_id_numbers(text: str) -> str:
    """Keep the region and the check digit: 110105-19900101-1234 -> 110105***********4."""
    return ID_NUMBER.sub(_masked, text) if text and len(text) >= _MIN_LENGTH else text


def mask_if_text(value):
    """Strings masked, anything else (None, numbers) as it is."""
    return mask_id_numbers(value) if type(value) is str else value


def has_id_number(text: str) -> bool:
    return bool(text) and len(text) >= _MIN_LENGTH and ID_NUMBER.search(text) is not None
