"""Why a request was refused, and who asked, left in the request's state for the request
journal (``control/recording.py``). The wire keeps Kommo's terse answers; the words go here."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.types import Scope

REFUSAL = "kommodore.refusal"
PRINCIPAL = "kommodore.principal"


def _state(scope: Scope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def note_refusal(scope: Scope, reason: str) -> None:
    _state(scope)[REFUSAL] = reason


def note_principal(scope: Scope, principal: object) -> None:
    _state(scope)[PRINCIPAL] = principal


def refusal_from_body(body: str) -> str | None:
    """A refusal's words from its answer when the code said nothing more: the problem's detail
    and every validation error with its path, or an OAuth error's description."""
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    if not isinstance(data, dict):
        return None
    words = [str(data[k]) for k in ("detail", "hint", "error_description", "error") if k in data]
    for item in data.get("validation-errors") or []:
        if isinstance(item, dict):
            for error in item.get("errors") or []:
                if isinstance(error, dict):
                    words.append(
                        f"request_id {item.get('request_id')}: {error.get('path')}: "
                        f"{error.get('detail') or error.get('code')}"
                    )
    return "; ".join(dict.fromkeys(words)) or None
