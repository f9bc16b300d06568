"""/healthz: each dependency's status and latency; 200 when all answer, 503 otherwise."""

from unittest import mock

import pytest
from django.db import OperationalError

from functions_ide import ops

pytestmark = pytest.mark.django_db


def test_healthy_when_every_dependency_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "channel_layer"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert isinstance(check["latency_ms"], int | float) and check["latency_ms"] >= 0
    assert "no-cache" in response["Cache-Control"]


def test_needs_no_login(client):
    assert client.get("/healthz").status_code == 200  # anonymous: no redirect, no 401


@pytest.mark.parametrize("failing", ["database", "broker", "channel_layer"])
def test_one_failing_dependency_makes_it_503(client, failing):
    def down():
        raise OperationalError("connection to server at 10.0.0.7 refused")

    with mock.patch.dict(ops.CHECKS, {failing: down}):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"][failing]["status"] == "error"
    assert body["checks"][failing]["error"] == "OperationalError"
    assert "10.0.0.7" not in response.content.decode()  # internal hosts stay internal
    others = set(ops.CHECKS) - {failing}
    assert all(body["checks"][name]["status"] == "ok" for name in others)


def test_a_database_that_is_down_is_reported(client):
    with mock.patch.object(ops, "connection") as conn:
        conn.cursor.side_effect = OperationalError("down")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["status"] == "error"


def test_only_reads_are_answered(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200
