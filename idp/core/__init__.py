"""The identity provider's protocol core: no web framework here (ARCHITECTURE.md, "Inside each service")."""
