"""The sample certified identity provider (built in its own issues)."""
