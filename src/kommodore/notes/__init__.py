"""Notes on leads, contacts and companies (Kommo's ``/{entity_type}/notes`` family)."""
