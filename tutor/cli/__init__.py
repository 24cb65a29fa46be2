"""The `tutor` command line. Each sub-module owns a group of commands; errors become a message and an exit code."""

from __future__ import annotations

import typer

from tutor.cli.chat import ask, serve
from tutor.cli.data import corpus_app, index_app, ingest, model_app

app = typer.Typer(help="Trợ giảng AI cho Bình dân học vụ số.", no_args_is_help=True, add_completion=False)
app.add_typer(index_app, name="index")
app.add_typer(model_app, name="model")
app.add_typer(corpus_app, name="corpus")
app.command()(ingest)
app.command()(ask)
app.command()(serve)


def main() -> None:  # pragma: no cover
    app()
