"""Leads: the entity every Kommo integration is built around."""
