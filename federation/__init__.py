"""OpenID Federation 1.0 and JOSE library shared by every service (built in its own issue)."""
