"""Webhooks: management, the outbox, and delivery in Kommo's form encoding."""
