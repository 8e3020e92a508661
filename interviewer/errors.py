"""User-facing errors: the CLI prints ``str(error)`` as one line and exits non-zero, no traceback."""


class UserError(Exception):
    """Something the user can fix; the message says what."""
