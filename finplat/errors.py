"""Domain errors. Services raise these; finplat.error_handlers maps them to HTTP in one place."""


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message, fields=None, code=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class Malformed(DomainError):
    status, code = 400, "malformed"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class RuleViolation(DomainError):
    """Well-formed input that breaks a business rule; `fields` names what is wrong."""
    status, code = 422, "rule_violation"


class TooManyAttempts(DomainError):
    status, code = 429, "too_many_attempts"


class Unavailable(DomainError):
    """A service the platform relies on (a time-stamping authority) did not answer: try again later."""
    status, code = 503, "unavailable"


def invalid_fields(errors: dict) -> RuleViolation:
    """One 422 naming every field in `errors` ({field: [messages]})."""
    return RuleViolation("invalid fields: " + ", ".join(sorted(errors)), fields=errors)


def field_error(field, message, cls=RuleViolation, code=None):
    """An error about one field, e.g. field_error("name", "already taken", Conflict)."""
    return cls(f"{field}: {message}", fields={field: [message]}, code=code)
