"""Checks: SHACL validation, OWL consistency and inference."""
