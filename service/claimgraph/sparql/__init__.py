"""SPARQL: protocol parsing, the query gate, worker pool and result writers."""
