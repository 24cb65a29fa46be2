"""`python -m tutor.cli` runs the command line (the benchmark starts the service this way)."""

from tutor.cli import app

app()
