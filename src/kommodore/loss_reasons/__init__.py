"""Loss reasons of lost leads."""
