"""Lead tags."""
