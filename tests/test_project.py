"""The project's own promises: two README commands, CI calling exactly one of them, a valid compose file."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.findall(r"^make \w+", ci, flags=re.M) == ["make test"]


def test_docker_compose_file_is_valid_and_production_shaped():
    assert shutil.which("docker-compose"), "make test installs Debian's docker-compose"
    env = {**os.environ, "DJANGO_SECRET_KEY": "x", "DJANGO_ALLOWED_HOSTS": "example.org", "POSTGRES_PASSWORD": "x"}
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == {"db", "redis", "web", "worker", "beat", "replica"}
    for name in ("db", "redis", "web", "worker", "replica"):
        assert "healthcheck" in services[name], name
    # The read replica is optional: only `docker-compose --profile replica up` starts it, and it streams from db.
    assert {name for name, service in services.items() if service.get("profiles")} == {"replica"}
    assert services["replica"]["profiles"] == ["replica"]
    assert "pg_basebackup -h db" in services["replica"]["command"][0]
    assert any("allow-replication.sh" in str(volume) for volume in services["db"]["volumes"])
    assert (ROOT / "deploy" / "postgres" / "allow-replication.sh").exists()
    assert services["web"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"


def test_docker_compose_refuses_to_start_without_secrets():
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD"}}
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode != 0


def test_the_web_application_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SECRET_KEY", "DJANGO_DEBUG"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.wsgi",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"database": "ok"}
