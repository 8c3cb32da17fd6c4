"""Local development infrastructure that needs no Docker engine."""
