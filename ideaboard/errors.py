"""The refusals domain modules raise: views turn each kind into one HTTP answer, the message is for the person."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the action; str(error) says why, in words the person who tried can act on."""


class NotAllowed(DomainError):
    """This person may not do this to this thing (views answer 403 or a message on the form)."""


class IllegalTransition(NotAllowed):
    """The workflow's table does not allow this status change; the message lists what would be allowed."""


class Conflict(DomainError):
    """Someone else changed the thing since it was loaded; nothing was written."""


class NotFound(DomainError, LookupError):
    """It does not exist, or this person may not see it (views answer 404)."""
