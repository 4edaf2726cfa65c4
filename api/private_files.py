"""Files only their owner may read (keys, tokens): created 0600 from the first byte, never seen half-written."""
import os
import secrets
from pathlib import Path

PRIVATE = 0o600


def write_private(path: Path, text: str, replace: bool = True) -> bool:
    """Writes `text` to a new 0600 file beside `path` (O_CREAT|O_EXCL, so no other file is reused), fsyncs it,
    then publishes it as `path`: renamed over it, or with replace=False linked only if `path` does not exist
    yet. False when replace=False and `path` already existed (it is left as it was)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temp, path)
            return True
        try:
            os.link(temp, path)  # atomic and never overwrites: two processes racing keep the first file
        except FileExistsError:
            return False
        return True
    finally:
        temp.unlink(missing_ok=True)
