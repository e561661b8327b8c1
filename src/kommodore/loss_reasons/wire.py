"""The loss reason as Kommo puts it on the wire, in Kommo's key order."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import SelfLinks
from kommodore.loss_reasons.store import LossReasonRow


class LossReason(LossReasonRow, kw_only=True):
    """The stored row (:class:`kommodore.loss_reasons.store.LossReasonRow`), then what the
    answer adds."""

    links: SelfLinks = msgspec.field(name="_links")
    request_id: str | UnsetType = UNSET
    """Only in the add answer, last, as the other add answers carry it."""


encoder = msgspec.json.Encoder()
