"""Kafka plumbing shared by the services: settings, topic provisioning, transactions."""
