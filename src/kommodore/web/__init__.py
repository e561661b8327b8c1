"""The pages a person uses in a browser: sign-in and the OAuth consent page."""
