"""Deployment material: topic definitions, the local Kafka runner, compose and Helm files."""
