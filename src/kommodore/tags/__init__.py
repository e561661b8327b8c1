"""Lead tags (spec §12.1)."""
