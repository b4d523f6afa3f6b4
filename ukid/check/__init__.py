"""``ukid check``: conformance checks of federation members against this federation's profile."""
