"""Lean FHIR R4 models of exactly the elements Silta's profiles use."""
