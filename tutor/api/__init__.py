"""The HTTP edge: FastAPI app, request/response schemas, error mapping. The core never imports this."""
