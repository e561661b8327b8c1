"""Webhooks (spec §13): management, the outbox, and delivery in Kommo's form encoding."""
