"""Page texts: phone. key -> (Chinese, English)."""
TEXT: dict[str, tuple[str, str]] = {
}
