"""A Celery worker refuses to start on settings `manage.py check` refuses, with the same
words (Celery itself runs Django's checks but ignores their errors)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # starts Celery in a subprocess: about 3 s
def test_a_worker_with_a_limit_out_of_range_does_not_start(tmp_path):
    env = {**os.environ, "RUNNER_TIMEOUT_MS": "20000", "DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    worker = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "functions_ide", "worker", "--pool", "solo",
         "-Q", "nothing", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert worker.returncode != 0
    assert "The worker cannot start. RUNNER_TIMEOUT_MS=20000 is out of range" in worker.stderr
