"""The events log (spec §14): what happened to leads, written with the change itself."""
