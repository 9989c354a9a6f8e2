"""Store: the one interface every stage uses to reach RDF storage."""

from .base import GraphStore, QueryResult
from .embedded import EmbeddedStore

__all__ = ["GraphStore", "QueryResult", "EmbeddedStore"]
