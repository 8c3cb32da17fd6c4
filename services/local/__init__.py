"""Silta on embedded defaults in one process: `silta run` and its demo."""
