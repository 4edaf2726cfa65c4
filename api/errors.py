"""Application errors: domain errors (code + message) that also name their HTTP status."""
from points.errors import DomainError

DATABASE_DOWN = "the database is not reachable; retry shortly"  # the message of 503 DATABASE_UNAVAILABLE


class AppError(DomainError):
    status = 400
    code = "BAD_REQUEST"


class Unauthorized(AppError):
    status = 401
    code = "UNAUTHORIZED"


class Forbidden(AppError):
    status = 403
    code = "FORBIDDEN"


class NotFound(AppError):
    status = 404
    code = "NOT_FOUND"


class Conflict(AppError):
    status = 409
    code = "CONFLICT"


class InvalidRequest(AppError):
    status = 422
    code = "INVALID_REQUEST"


class BodyTooLarge(AppError):
    status = 413
    code = "BODY_TOO_LARGE"


class HeadersTooLarge(AppError):
    status = 431
    code = "HEADERS_TOO_LARGE"
