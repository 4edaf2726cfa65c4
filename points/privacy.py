"""National ID numbers (居民身份证号码) never leave the service: free text is masked on the way in."""
import re

# 18 characters: 6-digit region, birth date (yyyymmdd), 3-digit sequence, check digit (0-9 or X).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})((?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})"
                       r"([0-9Xx])(?![0-9A-Za-z])")


def mask_id_numbers(text: str) -> str:
    """Keep the region and the check digit: 110105199001011234 -> 110105***********4."""
    return ID_NUMBER.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text) if text else text
