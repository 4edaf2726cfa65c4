"""Page texts: todo. key -> (Chinese, English)."""
TEXT: dict[str, tuple[str, str]] = {
}
