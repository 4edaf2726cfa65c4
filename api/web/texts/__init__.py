"""The pages' words by area, each module a `TEXT` dict of key -> (Chinese, English), merged into
api/web/i18n.TEXT (a key defined twice is an error at import)."""
