"""A worker process yields the CPU to the web servers (WORKER_NICENESS): under
overload, webhooks are still accepted at once and wait, durably, for a worker."""

import json
import os
import subprocess
import sys

import pytest

from tests.faults.stack import ROOT

STARTING_WORKER = """
import json, os
import django
django.setup()
from functions_ide.celery import _accepting_comes_first
_accepting_comes_first()  # what the worker_init signal calls
autogroup = open("/proc/self/autogroup").read() if os.path.exists("/proc/self/autogroup") else ""
print(json.dumps({"nice": os.nice(0), "autogroup": autogroup}))
"""


def started(*, own_session: bool = True, **env: str) -> dict:
    """What a worker process starting with these settings ends at."""
    done = subprocess.run(
        [sys.executable, "-c", STARTING_WORKER],
        start_new_session=own_session,
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "functions_ide.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_worker_process_runs_at_a_lower_priority():
    before = os.nice(0)
    seen = started(CELERY_EMBEDDED_WORKER="0", WORKER_NICENESS="7")
    assert seen["nice"] == before + 7
    if seen["autogroup"]:  # Linux with autogroups: its session's share is lowered too
        assert seen["autogroup"].split()[-1] == "7"


def test_a_worker_in_a_session_it_does_not_lead_leaves_the_session_s_share_alone():
    seen = started(own_session=False, CELERY_EMBEDDED_WORKER="0", WORKER_NICENESS="7")
    if seen["autogroup"]:
        assert seen["autogroup"].split()[-1] == open("/proc/self/autogroup").read().split()[-1]


def test_the_embedded_worker_leaves_the_server_s_priority_alone():
    before = os.nice(0)
    assert started(CELERY_EMBEDDED_WORKER="1", WORKER_NICENESS="7")["nice"] == before


@pytest.mark.parametrize("value", ["-1", "20", "low"])
def test_a_niceness_out_of_range_is_refused(value):
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "functions_ide.settings",
            "WORKER_NICENESS": value,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "WORKER_NICENESS" in done.stderr
