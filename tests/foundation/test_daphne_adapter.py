"""The webhook body guard is written for one Daphne: another version stops the start
with the reason, rather than leaving slow bodies unguarded."""

import daphne
import pytest

from functions_ide import daphne_adapter


def test_the_installed_daphne_is_the_one_the_guard_was_written_for():
    daphne_adapter.check()


def test_another_daphne_is_refused_with_the_reason(monkeypatch):
    monkeypatch.setattr(daphne, "__version__", "9.9.9")
    with pytest.raises(daphne_adapter.DaphneIncompatible, match="written for Daphne 4.2.3"):
        daphne_adapter.check()
