"""Silta's running processes: FastStream apps, gateways, the timeline API and the CLI."""
