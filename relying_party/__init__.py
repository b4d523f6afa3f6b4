"""The relying-party library and the council and GP services (built in its own issue)."""
