"""The control plane under ``/_kommodore/``: what a developer needs around the Kommo API to test
an integration against it (reset, snapshots), never reachable with a Kommo token."""
