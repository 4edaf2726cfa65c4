"""Page texts: lists. key -> (Chinese, English)."""
TEXT: dict[str, tuple[str, str]] = {
}
