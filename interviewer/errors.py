"""User-facing errors: the CLI prints ``str(error)`` as one line and exits non-zero, no traceback."""


class UserError(Exception):
    """Something the user can fix; the message says what."""


#: Exit status when answers could not be graded (1 is for usage errors): `grade` whose answer stays
#: ungraded, an interview in which nothing could be graded, a `regrade` that leaves some ungraded.
EXIT_UNGRADED = 3
