"""Page texts: errors. key -> (Chinese, English)."""
TEXT: dict[str, tuple[str, str]] = {
}
