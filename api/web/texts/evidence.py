"""Page texts: evidence. key -> (Chinese, English)."""
TEXT: dict[str, tuple[str, str]] = {
}
