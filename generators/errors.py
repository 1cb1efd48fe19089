"""The one exception type the CLI turns into a clean French message (no traceback)."""


class MercatiqueError(Exception):
    """A problem the user can fix; its message is French and names what to fix."""
