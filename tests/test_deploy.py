"""deploy/ parses and says what the tutor reads: compose (YAML), systemd units (systemd-analyze), nginx (nginx -t)."""

from __future__ import annotations

import configparser
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tutor.config import Settings

DEPLOY = ROOT / "deploy"
#: Every TUTOR_* variable the tutor reads (its settings, and the WEB_CONCURRENCY alias of workers).
KNOWN = {f"TUTOR_{name.upper()}" for name in Settings.model_fields}


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_has_the_node_s_services_wired_to_each_other():
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "ollama", "tutor-init", "tutor", "nginx"}
    env = services["tutor"]["environment"]
    assert env["TUTOR_REDIS_URL"].startswith("redis://redis:6379")
    assert "@postgres:5432/" in env["TUTOR_LEARNER_DB_URL"] and env["TUTOR_LEARNER_DB_URL"].startswith("postgresql+")
    assert env["TUTOR_LLM"] == "ollama" and env["TUTOR_OLLAMA_HOST"] == "http://ollama:11434"
    assert int(env["TUTOR_WORKERS"]) > 1  # several workers, hence the Redis above
    assert services["tutor-init"]["environment"]["TUTOR_WORKERS"] == "1"
    # The workers start after the schema is migrated and the index built, with Redis and PostgreSQL up.
    after = services["tutor"]["depends_on"]
    assert after["tutor-init"]["condition"] == "service_completed_successfully"
    assert after["redis"]["condition"] == after["postgres"]["condition"] == "service_healthy"
    assert services["tutor-init"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # Only nginx is reachable from outside; it mounts the checked nginx file.
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"nginx"} and services["nginx"]["ports"] == ["80:80", "443:443"]
    assert "./nginx/tutor.conf:/etc/nginx/conf.d/default.conf:ro" in services["nginx"]["volumes"]
    assert services["tutor"]["expose"] == ["8000"] and env["TUTOR_PORT"] == "8000"
    assert set(compose["volumes"]) == {"pgdata", "ollama", "tutordata"}
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith(("/", "./")) or source in compose["volumes"], f"{name}: unknown volume {source}"


def test_every_tutor_variable_in_deploy_is_one_the_tutor_reads():
    compose = _compose()
    names = set()
    for service in compose["services"].values():
        names |= {k for k in (service.get("environment") or {}) if k.startswith("TUTOR_")}
    example = (DEPLOY / "tutor.env.example").read_text(encoding="utf-8")
    names |= set(re.findall(r"^(TUTOR_[A-Z_]+)=", example, flags=re.M))
    assert names and not names - KNOWN, f"unknown settings: {names - KNOWN}"
    # And the example file's values are accepted by the settings themselves.
    values = dict(re.findall(r"^(TUTOR_[A-Z_]+)=(.*)$", example, flags=re.M))
    Settings(**{k.removeprefix("TUTOR_").lower(): v for k, v in values.items()})


def test_the_compose_password_comes_from_the_env_file_not_the_compose_file():
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert "${POSTGRES_PASSWORD:?" in text and "change-me" not in text
    assert "POSTGRES_PASSWORD=" in (DEPLOY / "tutor.env.example").read_text(encoding="utf-8")


def _units() -> list[Path]:
    return sorted((DEPLOY / "systemd").glob("*.service"))


def test_systemd_units_parse_and_name_real_commands():
    for unit in _units():
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(unit.read_text(encoding="utf-8"))
        assert {"Unit", "Service", "Install"} <= set(parser.sections()), unit.name
        assert parser["Service"]["User"] == "tutor" and "EnvironmentFile" in parser["Service"]
        assert parser["Service"]["ExecStart"].startswith("/srv/tutor/.venv/bin/")
    serve = (DEPLOY / "systemd" / "tutor.service").read_text(encoding="utf-8")
    assert "ExecStart=/srv/tutor/.venv/bin/tutor serve" in serve and "Requires=tutor-prepare.service" in serve


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (the INI check above still ran)")
    # verify insists that ExecStart's program exists: point /srv/tutor at a stand-in tree with those programs.
    root = tmp_path / "srv-tutor"
    (root / ".venv" / "bin").mkdir(parents=True)
    for program in ("tutor", "python"):
        stub = root / ".venv" / "bin" / program
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for unit in _units():
        (units / unit.name).write_text(unit.read_text(encoding="utf-8").replace("/srv/tutor", str(root)))
    result = subprocess.run(
        [analyze, "verify", *[str(units / u.name) for u in _units()]], capture_output=True, text=True, timeout=60
    )
    complaints = [ln for ln in result.stderr.splitlines() if str(units) in ln or "tutor" in ln]
    assert result.returncode == 0 and not complaints, result.stderr


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hoc.example.vn")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    crt, pem = directory / "fullchain.pem", directory / "privkey.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return crt, pem


def test_nginx_streams_answers_unbuffered_and_waits_longer_than_the_tutor():
    conf = (DEPLOY / "nginx" / "tutor.conf").read_text(encoding="utf-8")
    stream = conf[conf.index("location ~ ^/api/(chat/stream") :]
    assert "proxy_buffering off;" in stream and "proxy_cache off;" in stream
    read_timeouts = [int(s) for s in re.findall(r"proxy_read_timeout (\d+)s;", conf)]
    assert read_timeouts and min(read_timeouts) > Settings().llm_timeout
    for path in ("/api/chat/stream", "/api/sessions/abc-123/messages"):
        assert re.fullmatch(r"/api/(chat/stream|sessions/[^/]+/messages)", path)
    assert "client_max_body_size 64k;" in conf and "X-Forwarded-For" in conf


def test_nginx_t_accepts_the_site(tmp_path: Path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx not installed (`make install-dev` installs the Debian package)")
    crt, pem = _self_signed(tmp_path)
    site = (DEPLOY / "nginx" / "tutor.conf").read_text(encoding="utf-8")
    # Only what a test machine lacks is swapped: the compose host name, and the certificate pair.
    site = site.replace("server tutor:8000", "server 127.0.0.1:8000")
    site = site.replace("/etc/letsencrypt/live/hoc.example.vn/fullchain.pem", str(crt))
    site = site.replace("/etc/letsencrypt/live/hoc.example.vn/privkey.pem", str(pem))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
