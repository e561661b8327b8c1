"""The loss reason as Kommo puts it on the wire, in Kommo's key order."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import SelfLinks


class LossReason(msgspec.Struct):
    """The stored row's columns (:class:`kommodore.loss_reasons.store.LossReasonRow`, in
    this order), then what the answer adds."""

    id: int
    name: str
    sort: int
    created_at: int
    updated_at: int
    links: SelfLinks = msgspec.field(name="_links")
    request_id: str | UnsetType = UNSET
    """Only in the add answer, last, as the other add answers carry it."""


encoder = msgspec.json.Encoder()
