"""The `tutor` command line. Each sub-module owns a group of commands; errors become a message and an exit code.

Commands import what they need when they run (models, the database layer, settings), so `tutor --help` and small
commands start in a fraction of a second.
"""

from __future__ import annotations

import os

import typer

from tutor.cli import i18n

# Read here, at the edge and before any help is built: the framework's words are Vietnamese unless a developer
# asks for English (TUTOR_LANG=en). Settings are not loaded for this: pydantic would slow every start.
i18n.install(os.environ.get("TUTOR_LANG", "vi"))

from tutor.cli.accounts import learner_app, token_app  # noqa: E402 - after the words are installed
from tutor.cli.cert import cert_app  # noqa: E402
from tutor.cli.chat import ask, chat, serve  # noqa: E402
from tutor.cli.data import corpus_app, index_app, ingest, model_app  # noqa: E402
from tutor.cli.evals import eval_app  # noqa: E402
from tutor.cli.quiz import quiz_app  # noqa: E402

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
