"""`claimgraph draft`: a machine draft of an article's reading, for a curator to review."""
