"""Metrics, health and readiness for every service."""
