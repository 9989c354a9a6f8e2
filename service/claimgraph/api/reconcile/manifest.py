"""Service manifests: 0.2 (with 0.1, what OpenRefine speaks) at /reconcile, 1.0-draft at /reconcile/v1.

The two versions describe their endpoints differently (0.2 names URLs and
uses {{id}} templates; 1.0-draft fixes the routes and uses {id}), so one
manifest cannot serve both: each version has its own root.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ... import __version__
from ...namespaces import CG, Minter
from ...namespaces import ENTITY_TYPES

NAME = "claimgraph entities"
BATCH_SIZE = 100
PREVIEW = {"width": 420, "height": 200}
TYPE_NAMES = {
    "State": "State", "Organization": "Organization", "Person": "Person", "MediaOutlet": "Media outlet",
    "Place": "Place", "Group": "Group", "Policy": "Policy", "Event": "Event", "Concept": "Concept or narrative",
}


def type_object(type_id: str) -> dict[str, str]:
    return {"id": type_id, "name": TYPE_NAMES.get(type_id, type_id)}


def default_types() -> list[dict[str, str]]:
    return [type_object(t) for t in ENTITY_TYPES]


def _page(url: str, mint: Minter) -> str:
    """Where this server shows an entity (its Linked Data page): a link a client follows must
    reach the server it is talking to, whatever host and port the IRIs were minted under."""
    return f"{url}{urlsplit(mint.base).path}entity/"


def manifest_v02(url: str, mint: Minter) -> dict[str, Any]:
    root = f"{url}/reconcile"
    return {
        "versions": ["0.1", "0.2"],
        "name": NAME,
        "identifierSpace": f"{mint.base}entity/",
        "schemaSpace": str(CG),
        "documentation": f"{url}/docs",
        "serviceVersion": __version__,
        "defaultTypes": default_types(),
        "view": {"url": f"{_page(url, mint)}{{{{id}}}}"},
        "preview": {"url": f"{root}/preview?id={{{{id}}}}", **PREVIEW},
        "suggest": {
            "entity": {"service_url": url, "service_path": "/reconcile/suggest/entity",
                       "flyout_service_path": "/reconcile/flyout/entity?id=${id}"},
            "type": {"service_url": url, "service_path": "/reconcile/suggest/type"},
            "property": {"service_url": url, "service_path": "/reconcile/suggest/property"},
        },
        "extend": {
            "propose_properties": {"service_url": url, "service_path": "/reconcile/extend/propose"},
            "property_settings": [
                {"name": "limit", "label": "Limit", "type": "number", "default": 0,
                 "help_text": "Maximum number of values per cell (0 for all)"},
            ],
        },
        "batchSize": BATCH_SIZE,
    }


def manifest_v1(url: str, mint: Minter) -> dict[str, Any]:
    """The 1.0-draft manifest; its routes are fixed relative to {url}/reconcile/v1."""
    return {
        "versions": ["1.0-draft"],
        "name": NAME,
        "documentation": f"{url}/docs",
        "serviceVersion": __version__,
        "defaultTypes": default_types(),
        "view": {"url": f"{_page(url, mint)}{{id}}"},
        "preview": dict(PREVIEW),
        "suggest": {"entity": True, "property": True, "type": True},
        "extend": {
            "proposeProperties": True,
            "propertySettings": [
                {"id": "limit", "name": "Limit", "type": "number", "default": 0,
                 "helpText": "Maximum number of values per cell (0 for all)"},
            ],
        },
        "batchSize": BATCH_SIZE,
        "lang": "en",
        "standardizedScore": True,
    }
