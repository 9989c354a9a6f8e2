"""Serving: runs the app of api/ under uvicorn, in one process or several on one socket.

This wing stands above the app it serves: it imports api/, and nothing in api/ imports it.
server.py (the `serve` command), prefork.py (several processes), allocator.py (a faster malloc),
response_cache.py (repeated /sparql requests answered with the bytes they got last time),
connguard.py (what one connection may hold), shared_metrics.py (/metrics across processes).
"""
