"""CLI for certificates: verify one offline, or export the public key that verifies them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tutor.cli.common import err, load_settings, out, run

cert_app = typer.Typer(help="Chứng nhận kỹ năng số: kiểm tra và khóa công khai.", no_args_is_help=True)


@cert_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="Tệp chứng nhận JSON.")],
    public_key: Annotated[
        Path | None, typer.Option("--public-key", help="Khóa công khai PEM của đơn vị cấp (mặc định: khóa máy này).")
    ] = None,
) -> None:
    """Kiểm tra chữ ký Ed25519 của chứng nhận, không cần mạng. Thoát 0 nếu hợp lệ, 1 nếu không."""
    settings = load_settings()

    def body() -> None:
        from tutor.learner.cert import load_or_create_signing_key, public_key_pem, verify_certificate

        try:
            data = file.read_bytes()
        except OSError as exc:
            err.print(f"[red]Không đọc được tệp[/] {escape(str(file))}: {escape(exc.strerror or str(exc))}")
            raise typer.Exit(2) from exc
        if public_key is not None:
            key = public_key.read_bytes()
        elif settings.signing_key_path.is_file():
            key = public_key_pem(load_or_create_signing_key(settings.signing_key_path))
        else:
            err.print("[red]Chưa có khóa công khai.[/] Dùng --public-key với tệp PEM của đơn vị cấp chứng nhận.")
            raise typer.Exit(2)
        result = verify_certificate(data, key)
        if result.payload:
            out.print_json(json.dumps(result.payload, ensure_ascii=False))
        if result.valid:
            err.print(f"[green]{escape(result.reason)}[/]")
            return
        err.print(f"[red]Không hợp lệ:[/] {escape(result.reason)}")
        raise typer.Exit(1)

    run(body)


@cert_app.command("public-key")
def public_key_cmd() -> None:
    """In khóa công khai (PEM) để nơi khác kiểm tra chứng nhận do máy này cấp."""
    settings = load_settings()

    def body() -> None:
        from tutor.learner.cert import load_or_create_signing_key, public_key_pem

        print(public_key_pem(load_or_create_signing_key(settings.signing_key_path)).decode(), end="")

    run(body)
