"""The ASGI entry point for worker processes: `uvicorn --factory tutor.api.asgi:app` or gunicorn's uvicorn worker.

Each worker calls it after it starts, so each builds its own Tutor, thread pools and HTTP clients from the TUTOR_*
variables: nothing is shared by forking. What the workers do share lives in files (the memory-mapped index) and in
the services named by the settings (Redis, PostgreSQL, the LLM servers).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from tutor.api.app import create_app, create_unconfigured_app
from tutor.config import load_settings
from tutor.errors import ConfigError

log = logging.getLogger("tutor.api")


def app() -> FastAPI:
    """Read the settings (the edge) and build the app; wrong settings serve their reason as 503 JSON."""
    try:
        return create_app(load_settings())
    except ConfigError as exc:
        log.error("%s", exc)
        return create_unconfigured_app(exc)
