"""Silta's shared language: envelope, event catalogue, FHIR R4 profiles, TimelineEntry.

This package imports nothing else of Silta's; everything else imports it.
"""
