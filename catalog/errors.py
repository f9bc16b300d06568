"""Errors of the catalog a user can meet besides validation errors (Django's
ValidationError) and permission errors (PermissionDenied, Http404)."""


class CatalogError(Exception):
    """A refused action, with a message for the user and optional extra fields."""

    status_code = 400

    def __init__(self, message: str, **extra) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class FunctionHasSources(CatalogError):
    """Deleting a function that sources run needs an explicit confirmation."""

    status_code = 409


class TestRunFailed(CatalogError):
    """The worker did not return a runner result (down, too slow or crashed)."""

    status_code = 504


class SavedTestsFailed(CatalogError):
    """Save & Deploy refused: saved tests fail on the draft (extra: failed_tests)."""

    status_code = 409


class DraftChanged(CatalogError):
    """The draft changed while the deploy gate ran its tests."""

    status_code = 409


class CodeDoesNotCompile(CatalogError):
    """Save & Deploy refused: the draft has a syntax error (extra: compile_error, the
    runner's error with its line and column, and errors.code in words)."""

    status_code = 400
