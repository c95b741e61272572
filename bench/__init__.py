"""Benchmarks: bench/run (the figures), bench/trail.py, bench/replica.py, bench/notices.py, bench/check_eval.py."""

import subprocess


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database `url` names, unless it exists (through psql on its server's postgres db)."""
    name = url.rsplit("/", 1)[-1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    exists = subprocess.run(
        ["psql", admin, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
