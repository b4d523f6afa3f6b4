"""The shared assurance schema of the federation: pydantic models are the source of truth.

See ``schemas/SPEC.md`` for the written specification generated from these models.
"""
