"""Loss reasons of lost leads (spec §12.2)."""
