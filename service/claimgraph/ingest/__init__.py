"""Ingest: a text file, a saved HTML page or a URL -> data/articles/<slug>/ (`claimgraph add`)."""
