"""Lead sources."""
