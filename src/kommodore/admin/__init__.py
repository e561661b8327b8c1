"""What Kommo offers no public v4 endpoint for but a stand-in needs (outside /api/v4)."""
