"""Page texts: regions. key -> (Chinese, English)."""
TEXT: dict[str, tuple[str, str]] = {
}
