"""Ingest: raw source records in, contract events or dead letters out."""
