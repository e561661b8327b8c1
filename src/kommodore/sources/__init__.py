"""Lead sources (spec §12.3)."""
