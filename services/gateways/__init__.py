"""Gateways: network edges that take source messages in and write them, unchanged, to raw topics."""
