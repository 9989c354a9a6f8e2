"""claimgraph: who claims what in news and opinion articles, as a knowledge graph."""

__version__ = "0.1.0"
