"""Region scopes (GB/T 2260): 000000 is national, ..0000 a province, ....00 a city, else a county.
A scope covers every region that starts with its prefix."""

NATIONAL = "000000"


def prefix(scope: str) -> str:
    """The leading digits every region in scope shares: '' national, 2 a province, 4 a city, 6 a county."""
    if scope == NATIONAL:
        return ""
    if scope.endswith("0000"):
        return scope[:2]
    return scope[:4] if scope.endswith("00") else scope


def covers(scope: str, region: str) -> bool:
    """True when `region` is `scope` itself or lies below it (a county under its city, a city under its province)."""
    return region.startswith(prefix(scope))
