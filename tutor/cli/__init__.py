"""The `tutor` command line. Each sub-module owns a group of commands; errors become a message and an exit code."""

from __future__ import annotations

import typer

from tutor.cli.accounts import learner_app, token_app
from tutor.cli.cert import cert_app
from tutor.cli.chat import ask, chat, serve
from tutor.cli.data import corpus_app, index_app, ingest, model_app
from tutor.cli.evals import eval_app
from tutor.cli.quiz import quiz_app

app = typer.Typer(help="Trợ giảng AI cho Bình dân học vụ số.", no_args_is_help=True, add_completion=False)
app.add_typer(index_app, name="index")
app.add_typer(model_app, name="model")
app.add_typer(corpus_app, name="corpus")
app.add_typer(eval_app, name="eval")
app.add_typer(learner_app, name="learner")
app.add_typer(token_app, name="token")
app.add_typer(cert_app, name="cert")
app.add_typer(quiz_app, name="quiz")
app.command()(ingest)
app.command()(ask)
app.command()(chat)
app.command()(serve)


def main() -> None:  # pragma: no cover
    app()
