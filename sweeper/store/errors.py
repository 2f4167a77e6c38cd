"""Errors the store raises, each with a message fit to show a user."""


class StoreError(RuntimeError):
    """The store refused or failed an operation (read-only, full disk, a newer schema...)."""


class StoreUnavailable(StoreError):
    """The store did not answer for longer than SWEEPER_STORE_TIMEOUT seconds."""


class NoStore(StoreError):
    """A command that only reads found no store where it looked (it never makes one)."""


class NotFound(LookupError):
    """No sweep or run by that ID."""


class Refused(ValueError):
    """The operation does not apply to that sweep or run as it stands (a running run cannot be
    deleted, a canceled sweep takes no new runs): the message says why and what to do."""
