"""Logging that never writes a national ID number."""
import logging

from points.privacy import mask_id_numbers

LOGGERS = ("", "points", "points.scheduler", "uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler")


class MaskIdNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_id_numbers(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def install_masking() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskIdNumbers) for f in logger.filters):
            logger.addFilter(MaskIdNumbers())
