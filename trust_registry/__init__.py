"""The trust registry: trust anchor and intermediates as a service (built in its own issue)."""
