"""The webhook body guard is written for one Daphne: another version stops the start
with the reason, rather than leaving slow bodies unguarded. Requests are logged once, by
Daphne."""

import io
from unittest import mock

import daphne
import pytest
from daphne import http_protocol

from functions_ide import daphne_adapter


def test_the_installed_daphne_is_the_one_the_guard_was_written_for():
    daphne_adapter.check()


def test_another_daphne_is_refused_with_the_reason(monkeypatch):
    monkeypatch.setattr(daphne, "__version__", "9.9.9")
    with pytest.raises(daphne_adapter.DaphneIncompatible, match="written for Daphne 4.2.3"):
        daphne_adapter.check()


def test_twisted_writes_no_access_log_of_its_own(monkeypatch):
    monkeypatch.setattr(http_protocol.HTTPFactory, "log", http_protocol.HTTPFactory.log)
    factory = http_protocol.HTTPFactory(server=mock.Mock())
    factory._logFile, factory._logFormatter = io.StringIO(), lambda when, request: "a line"
    daphne_adapter.log_requests_once()
    factory.log(mock.Mock())
    assert factory._logFile.getvalue() == ""
