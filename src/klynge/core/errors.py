"""Domain errors: raised by services, shown to the user as they are."""


class DomainError(Exception):
    """A rule of the domain was broken; `message` is a user-facing (translated) text."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
