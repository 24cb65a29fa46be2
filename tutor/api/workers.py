"""Several worker processes on one port: gunicorn's arbiter with uvicorn workers, modules imported once before fork.

Why gunicorn rather than `uvicorn --workers`: uvicorn starts its workers with multiprocessing's spawn, so each one
imports FastAPI, SQLAlchemy, numpy, faiss… anew, about 90 MB of private memory per worker. Here the arbiter imports
them once and forks: the pages are shared until written, and `gc.freeze()` keeps the collector from writing to them.
The app itself (its Tutor, thread pools, HTTP clients, database engine) is still built in each worker after the fork,
from the TUTOR_* environment, as `tutor.api.asgi` does. The arbiter restarts a worker that dies.
"""

from __future__ import annotations

import gc
from typing import Any

from gunicorn.app.base import BaseApplication

from tutor.config import Settings
from tutor.errors import ConfigError

MISSING = "Chạy nhiều tiến trình cần gói gunicorn và uvicorn-worker: `pip install -e '.[scale]'`."
#: Seconds a worker may go without a heartbeat (loading a large index included) before the arbiter replaces it.
WORKER_TIMEOUT_S = 120
#: Seconds a stopping worker has to finish the answers it is streaming.
GRACEFUL_S = 30


class TutorWorkers(BaseApplication):
    """gunicorn's programmatic entry: the settings become its config; `load` runs in each worker after the fork."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self._settings
        options: dict[str, Any] = {
            "bind": f"{s.host}:{s.port}",
            "workers": s.workers,
            "worker_class": "uvicorn_worker.UvicornWorker",
            "timeout": WORKER_TIMEOUT_S,
            "graceful_timeout": GRACEFUL_S,
            "keepalive": 5,
            # No access log: its lines name learners in URLs (/api/learners/<id>) and cannot be purged.
            "accesslog": None,
            "preload_app": False,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from tutor.api.asgi import app

        return app()


def serve_workers(settings: Settings) -> None:
    """Import what every worker needs, freeze it for the collector, and run the arbiter until it is stopped."""
    try:
        import uvicorn_worker  # noqa: F401 - the worker class gunicorn loads by name
    except ImportError as exc:
        raise ConfigError(MISSING) from exc
    import tutor.api.app  # noqa: F401 - imported before the fork, so its modules' pages are shared by the workers

    gc.collect()
    gc.freeze()
    TutorWorkers(settings).run()
