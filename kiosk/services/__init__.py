"""Services: one function per thing a user does, each owning its transaction."""


class DomainError(Exception):
    """A refusal staff or customers can read: the message is shown as it is.

    ``field`` names the form field the message belongs beside, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class FieldErrors(DomainError):
    """Several fields wrong at once: each message goes beside its field (``errors``)."""

    def __init__(self, errors: dict[str, str], *, status: int = 422) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field, status=status)
        self.errors = errors
