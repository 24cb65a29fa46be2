"""The ASGI entry point for worker processes: `uvicorn --factory tutor.api.asgi:app` or gunicorn's uvicorn worker.

Each worker calls it after it starts, so each builds its own Tutor, thread pools and HTTP clients from the TUTOR_*
variables: nothing is shared by forking. What the workers do share lives in files (the memory-mapped index) and in
the services named by the settings (Redis, PostgreSQL, the LLM servers).
"""

from __future__ import annotations

from fastapi import FastAPI

from tutor.api.app import create_app
from tutor.config import Settings


def app() -> FastAPI:
    """Read the settings (the edge) and build the app."""
    return create_app(Settings())
