"""The relying-party library's protocol core: no web framework in here (see ``relying_party.web``)."""
