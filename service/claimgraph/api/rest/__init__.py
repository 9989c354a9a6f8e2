"""REST lookups under /api/: entities, claims, events, policies, articles, sentences, search.

One envelope and one error shape for all (envelope.py, api/errors.py); JSON by
default, JSON-LD through the published context (ontology/context.jsonld), CSV
for lists. Every SPARQL query is a constant text (queries.py, views.py) with
client values bound as RDF terms, and every list is keyset-paged and capped.
"""

from fastapi import APIRouter

from . import articles, claims, entities, events, search

router = APIRouter()
for _module in (entities, claims, events, articles, search):
    router.include_router(_module.router)

__all__ = ["router"]
