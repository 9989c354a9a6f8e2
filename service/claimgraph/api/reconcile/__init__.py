"""Reconciliation service (W3C Reconciliation Service API 0.1/0.2 and 1.0-draft) for OpenRefine and friends."""

from .routes import router

__all__ = ["router"]
