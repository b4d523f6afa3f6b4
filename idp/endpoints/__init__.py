"""The provider's HTTP endpoints: one module per protocol endpoint, each exposing ``router()``."""
