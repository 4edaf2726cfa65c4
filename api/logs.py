"""Logging that never writes a national ID number."""
import logging
from collections.abc import Mapping
from urllib.parse import unquote_plus

from points.privacy import has_id_number, mask_id_numbers

LOGGERS = ("", "points", "points.scheduler", "uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler")
_FORMATTER = logging.Formatter()


def _masked(text: str) -> str:
    """Masked; a URL's query (`?q=110105%2019900101%201234`) is decoded first when that reveals a number."""
    masked = mask_id_numbers(text)
    if "%" in masked or "+" in masked:
        decoded = unquote_plus(masked)
        if has_id_number(decoded):
            return mask_id_numbers(decoded)
    return masked


def _masked_arg(arg):
    """Strings masked; another object whose text holds an ID number is replaced by its masked text."""
    if isinstance(arg, str):
        return _masked(arg)
    if arg is None or isinstance(arg, (bool, int, float)):
        return arg
    text = str(arg)
    return _masked(text) if has_id_number(text) else arg


class MaskIdNumbers(logging.Filter):
    """Masks the message and each of its arguments in place, so formatters that read `record.args` themselves
    (uvicorn's access log reads a 5-tuple) still get their tuple."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):  # a format string is not URL-decoded: `%2d` would change meaning
            record.msg = mask_id_numbers(record.msg) if record.args else _masked(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked_arg(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _masked_arg(v) for k, v in record.args.items()}
        message = _message(record)
        if has_id_number(message):  # a number formatted from an int, say: keep the masked text only
            record.msg, record.args = mask_id_numbers(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_id_numbers(_FORMATTER.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = mask_id_numbers(record.stack_info)
        return True


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except (TypeError, ValueError):
        return str(record.msg)


def install_masking() -> None:
    """On the loggers above and on their handlers (records of child loggers reach only the handlers)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, MaskIdNumbers) for f in target.filters):
                target.addFilter(MaskIdNumbers())
