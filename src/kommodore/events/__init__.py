"""The events log: what happened to leads, written with the change itself."""
