"""HTTP: the FastAPI app, one routes table, one error shape."""
