"""The webhook object as Kommo puts it on the wire, in Kommo's key order."""

from __future__ import annotations

import msgspec

from kommodore.webhooks.store import WebhookRow


class Embedded(msgspec.Struct):
    webhooks: list[WebhookRow]
    """The stored rows are the answer's objects, key for key."""


class WebhookList(msgspec.Struct):
    """Kommo's list: a total and the webhooks, no ``_links`` and no paging."""

    total_items: int = msgspec.field(name="_total_items")
    embedded: Embedded = msgspec.field(name="_embedded")


encoder = msgspec.json.Encoder()
