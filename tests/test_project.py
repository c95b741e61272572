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


def _locked(path: Path) -> dict[str, tuple[str, int]]:
    """A lock file's pins: canonical name → (version, number of hashes)."""
    from packaging.utils import canonicalize_name

    pins, current = {}, None
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)", line)
        if match:
            current = canonicalize_name(match.group(1).split("[")[0])
            pins[current] = (match.group(2), 0)
        elif current and "--hash=sha256:" in line:
            pins[current] = (pins[current][0], pins[current][1] + 1)
    return pins


def test_the_lock_files_pin_every_dependency_of_pyproject_with_hashes():
    """A dependency added to pyproject.toml without `make lock` fails here (and `make setup` would not install it)."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dev, prod = _locked(ROOT / "requirements" / "dev.lock"), _locked(ROOT / "requirements" / "prod.lock")
    for lock, requirements in (
        (dev, project["dependencies"] + project["optional-dependencies"]["dev"]),
        (prod, project["dependencies"]),
    ):
        for text in [*requirements, "setuptools>=69"]:
            requirement = Requirement(text)
            name = canonicalize_name(requirement.name)
            assert name in lock, f"{name} is in pyproject.toml but not locked: run `make lock`"
            assert requirement.specifier.contains(lock[name][0], prereleases=True), (
                f"{name} {lock[name][0]} is locked but pyproject.toml asks {requirement.specifier}: run `make lock`"
            )
    assert all(hashes for _, hashes in dev.values()) and all(hashes for _, hashes in prod.values())
    # Production installs the same versions as the tests, without the dev extras.
    assert {name: pin[0] for name, pin in prod.items()} == {name: dev[name][0] for name in prod}
    assert "playwright" not in prod


def test_every_install_reads_a_lock_with_hashes():
    makefile, dockerfile = (ROOT / "Makefile").read_text(), (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r $(LOCK)" in makefile and "LOCK := requirements/dev.lock" in makefile
    assert "--no-deps --no-build-isolation -e ." in makefile
    assert re.search(r"STAMP := .*cat \$\(LOCK\)", makefile), "the stamp changes with the lock"
    assert "--require-hashes -r requirements/prod.lock" in dockerfile and "--no-deps" in dockerfile
    installs = re.findall(r"pip install .*", makefile.split("\nlock:")[0] + dockerfile)
    assert installs and all("--require-hashes" in line or "--no-deps" in line for line in installs), installs


def test_htmx_is_served_from_the_app_as_locked_and_configured_for_the_strict_policy():
    """htmx comes from the npm registry (package-lock.json) and is served from static/vendor (no CDN); the base
    layout turns off its injected stylesheet and uses no hx-on or js: values, which would need eval."""
    import json

    lock = json.loads((ROOT / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/htmx.org"]["version"]
    assert json.loads((ROOT / "package.json").read_text())["dependencies"]["htmx.org"] == version
    assert f'version="{version}"' in (ROOT / "static" / "vendor" / "htmx.min.js").read_text()
    base = (ROOT / "templates" / "base.html").read_text()
    assert "vendor/htmx.min.js" in base and '"includeIndicatorCSS": false' in base
    templates = "".join(p.read_text() for p in (ROOT / "templates").rglob("*.html"))
    assert not re.search(r"hx-on[:-]|js:|javascript:", templates)
