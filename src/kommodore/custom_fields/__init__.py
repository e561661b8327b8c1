"""Custom field definitions and the shapes their values take on the wire."""
