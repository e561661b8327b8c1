"""Tasks: Kommo's to-dos on leads, contacts and companies."""
