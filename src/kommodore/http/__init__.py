"""The HTTP edge: problem+json errors, origins and links, request parsing, middleware."""
