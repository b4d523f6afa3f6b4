"""The sample services built on the relying-party library: a council and a GP practice."""
