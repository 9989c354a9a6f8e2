"""Named queries: queries/*.rq files that become documented, typed REST endpoints."""

from .loader import NamedQuery, QueryFileError, load_queries, load_query
from .params import Param, ParamError

__all__ = ["NamedQuery", "Param", "ParamError", "QueryFileError", "load_queries", "load_query"]
