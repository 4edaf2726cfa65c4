import re
from pathlib import Path

from api.web.i18n import TEXT, translator

TEMPLATES = Path(__file__).parents[2] / "api" / "web" / "templates"


def test_every_text_has_both_languages_and_the_same_placeholders():
    for key, (zh, en) in TEXT.items():
        assert zh and en, key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key


def test_every_literal_key_used_by_a_template_exists():
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"(?<![\w.])t\('([\w.]+)'[),]", template.read_text()))
    assert used and not used - TEXT.keys(), used - TEXT.keys()


def test_translator_picks_the_language_and_falls_back_to_chinese_and_to_the_key():
    assert translator("en")("status.suspended") == "Suspended"
    assert translator("zh")("status.suspended") == "暂停"
    assert translator("fr")("status.suspended") == "暂停"
    assert translator("en")("no.such.key") == "no.such.key"
    assert translator("en")("record.band_hint", low=5, high=8) == "Points must lie in the band: 5–8"
