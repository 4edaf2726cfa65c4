"""The ID-number mask: every way people write an ID number is masked; codes, dates and amounts are not."""
import re
import unicodedata
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from points.privacy import has_id_number, mask_id_numbers

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def test_id_numbers_are_masked_keeping_region_and_check_digit():
    assert mask_id_numbers("身份证110105199001011234, 另一个 44030619851231002X。") == (
        "身份证110105***********4, 另一个 440306***********X。")


def test_the_forms_that_escaped_the_mask_are_masked():
    for written in ("ID110105199001011234", "身份证110105 19900101 1234", "110105-19900101-1234",
                    "１１０１０５１９９００１０１１２３４", "1101 0519 9001 0112 34", "ｉｄ：１１０１０５－１９９００１０１－１２３４",
                    "11010519900101123x", "44030619851231002Ｘ号"):
        masked = mask_id_numbers(written)
        assert "***********" in masked and "19900101" not in masked and "19851231" not in masked, (written, masked)


def test_other_numbers_are_left_alone():
    text = ("案号 京朝医保罚〔2026〕17号; 人员代码 D110105000123, HY110105000042; 机构 H11010500001; "
            "电话 13800138000; 日期 2026-03-01; 金额 1100000000000000000, 268.50; 20 位 11010519900101123456")
    assert mask_id_numbers(text) == text


def test_log_records_are_masked(caplog):
    import logging

    from api.logs import install_masking

    install_masking()
    with caplog.at_level(logging.INFO, logger="points"):
        logging.getLogger("points").info("objection from %s", "110105199001011234")
    assert "110105***********4" in caplog.text and "199001011234" not in caplog.text


# --- properties ---------------------------------------------------------------------------------------------

SEPARATORS = st.text(alphabet=" -\u3000\uff0d\u2014\t", min_size=1, max_size=3)
# text around a number: anything but digits (a digit next to it would make it part of a longer number)
NO_DIGITS = st.text(alphabet=st.characters(exclude_categories=("Nd", "Cs")), max_size=30)


@st.composite
def id_numbers(draw) -> str:
    region = str(draw(st.integers(1, 9))) + "".join(str(draw(st.integers(0, 9))) for _ in range(5))
    born = date(1800, 1, 1) + timedelta(days=draw(st.integers(0, (date(2099, 12, 31) - date(1800, 1, 1)).days)))
    sequence = "".join(str(draw(st.integers(0, 9))) for _ in range(3))
    return region + born.strftime("%Y%m%d") + sequence + draw(st.sampled_from("0123456789X"))


@st.composite
def written(draw, number: str) -> str:
    """The number as someone might type it: separators anywhere, some characters full-width, x lower-case."""
    out = []
    for i, char in enumerate(number):
        if draw(st.booleans()):
            char = char.translate(FULL_WIDTH)
        if char in "XＸ" and draw(st.booleans()):
            char = char.lower()
        out.append(char)
        if i < len(number) - 1 and draw(st.integers(0, 3)) == 0:
            out.append(draw(SEPARATORS))
    return "".join(out)


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", text))


@given(st.data(), id_numbers(), NO_DIGITS, NO_DIGITS)
def test_any_id_number_in_any_text_in_any_form_is_masked(data, number, before, after):
    text = before + data.draw(written(number)) + after
    masked = mask_id_numbers(text)
    assert number[6:17] not in digits_of(masked)
    assert number[:6] + "*" * 11 + number[17] in masked
    assert not has_id_number(masked) and mask_id_numbers(masked) == masked  # idempotent


REGIONS = st.sampled_from(["110105", "120101", "310101", "440306", "110000"])
PERSON_CODES = st.builds(lambda p, r, n: f"{p}{r}{n:06d}", st.sampled_from(["D", "HY", "HJ"]), REGIONS,
                         st.integers(0, 999_999))
INSTITUTION_CODES = st.builds(lambda p, r, n: f"{p}{r}{n:05d}", st.sampled_from("HP"), REGIONS, st.integers(0, 99_999))
DATES = st.dates(date(1900, 1, 1), date(2099, 12, 31)).map(date.isoformat)
AMOUNTS = st.builds(lambda yuan, fen: f"{yuan}.{fen:02d}", st.integers(0, 10**12 - 1), st.integers(0, 99))
PHONES = st.integers(13_000_000_000, 19_999_999_999).map(str)
# between two values: at least one character that is neither a digit nor a separator
BETWEEN = st.builds(lambda a, b, c: a + b + c, NO_DIGITS, st.sampled_from(["; ", "，", "号", " 至 ", "/", "|"]), NO_DIGITS)


@given(st.lists(st.one_of(PERSON_CODES, INSTITUTION_CODES, DATES, AMOUNTS, PHONES), min_size=1, max_size=6),
       st.data())
def test_codes_dates_amounts_and_phone_numbers_are_never_masked(values, data):
    text = values[0] + "".join(data.draw(BETWEEN) + v for v in values[1:])
    assert mask_id_numbers(text) == text
