"""Triples: a checked reading -> RDF named graphs (NIF spans, claims, entities, links, context)."""

from .dataset import GraphNames, build_dataset

__all__ = ["GraphNames", "build_dataset"]
