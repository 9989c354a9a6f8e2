"""The streaming, incremental build: one article at a time, each cached by its content."""
