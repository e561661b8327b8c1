"""HTTP endpoints of this package; ``routes`` is mounted by ``kommodore.app``."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
