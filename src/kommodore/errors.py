"""Mistakes a user can foresee and fix: the CLI prints their message as one line, no traceback."""

from __future__ import annotations

import importlib.util


class UserError(Exception):
    """A foreseeable mistake (a missing extra, a wrong URL, a database that is down): the
    message is one line saying what is wrong and what to do."""


class MissingExtra(UserError):
    """An optional dependency is not installed; the message names the extra that brings it."""

    def __init__(self, module: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the {module!r} package, which is not installed: "
            f"pip install 'kommodore[{extra}]'"
        )


def require(module: str, extra: str, purpose: str) -> None:
    """Raise :class:`MissingExtra` unless ``module`` can be imported."""
    if importlib.util.find_spec(module) is None:
        raise MissingExtra(module, extra, purpose)
