"""Shared test setup: network access is blocked in unit tests."""

import socket

import pytest

_real_connect = socket.socket.connect
_LOCAL_PREFIXES = ("127.", "::1", "localhost", "/")


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not host.startswith(_LOCAL_PREFIXES):
        raise RuntimeError(f"Tests may not reach the network ({host}).")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The hashed manifest exists only after collectstatic; unit tests render pages
    # without it. The browser tests run against collected, hashed files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
