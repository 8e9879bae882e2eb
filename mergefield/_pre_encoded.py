"""`PreEncoded`, the marker for a value that is already encoded, in a module of its own.

It imports nothing from the package, so the encoders (which pass it through unchanged) and the
value rules (which insert it as is) can both import it without importing each other.
"""

from __future__ import annotations

__all__ = ["PreEncoded"]


class PreEncoded(str):
    """A value inserted as is, never encoded again (like ``markupsafe.Markup``).

    Use it for a value that is already encoded for the position it lands in.  It stays a
    ``str``; operations on it (``+``, slicing) give plain ``str`` back, so only the value you
    wrapped is trusted.  In a whole-URL slot it skips the scheme check; in a bare JSON slot it is
    inserted as raw JSON.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({str.__repr__(self)})"
