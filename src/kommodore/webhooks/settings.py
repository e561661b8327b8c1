"""The delivery worker's knobs (``KOMMODORE_WEBHOOK_*``), apart from the server's settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    """How webhooks are delivered; the defaults are Kommo's rules."""

    model_config = SettingsConfigDict(
        env_prefix="KOMMODORE_WEBHOOK_", env_file=".env", extra="ignore"
    )

    retry_scale: float = Field(default=1.0, ge=0)
    """Multiplies Kommo's retry delays (5 min, 15 min, 15 min, 1 h): 0.001 turns them into
    0.3 s, 0.9 s, 0.9 s, 3.6 s for tests and local development."""

    timeout_seconds: float = Field(default=2.0, gt=0)
    """A receiver's whole answer must arrive within this (connect, send, read: one deadline)."""

    worker_in_process: bool = True
    """``kommodore serve`` runs a delivery worker inside each server process; ``false`` leaves
    delivery to ``kommodore worker`` processes."""

    poll_interval_seconds: float = Field(default=0.5, gt=0)
    """How often an idle worker looks for due deliveries."""

    batch_size: int = Field(default=50, ge=1, le=1000)
    """Deliveries one worker claims at once and sends concurrently."""

    lease_seconds: float = Field(default=30.0, gt=0)
    """How long a claim keeps other workers off a delivery. A worker that dies holding one
    lets it go after this; it must exceed the time a batch takes (about ``timeout_seconds``)."""

    retention_days: float = Field(default=7.0, ge=0)
    """Delivered and failed deliveries older than this are purged; 0 keeps them forever."""

    outbox_max_deliveries: int = Field(default=100_000, ge=1)
    """The outbox's row budget across the installation: past it the worker purges the oldest
    delivered and failed deliveries, then, with a warning, the oldest pending ones."""

    outbox_max_bytes: int = Field(default=256 * 1024 * 1024, ge=1)
    """The outbox's budget of stored body bytes (each batch's body once, however many
    webhooks it goes to): past it the oldest bodies go, with their deliveries; a warning
    counts the undelivered ones."""
