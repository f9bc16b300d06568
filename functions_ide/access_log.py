"""Daphne's access log, with the credentials in paths shortened: `POST /hooks/abcd…`
instead of the webhook token, likewise for test URLs and invite links (issue 18.6).

Daphne writes its access log itself (daphne.access.AccessLogGenerator, to stdout or
--access-log), not through Python logging, so `manage.py serve` gives its server a
logger that shortens the path first."""

from daphne.cli import CommandLineInterface
from daphne.server import Server

from catalog.masking import shorten_tokens


class TokensShortened:
    """An action logger (what Daphne's server calls for each request and websocket)
    that passes the details on with the path's tokens shortened."""

    def __init__(self, logger) -> None:
        self.logger = logger

    def __call__(self, protocol, action, details) -> None:
        if isinstance(details.get("path"), str):
            details = {**details, "path": shorten_tokens(details["path"])}
        self.logger(protocol, action, details)


class ShortenedTokensServer(Server):
    def __init__(self, *args, action_logger=None, **kwargs) -> None:
        logger = TokensShortened(action_logger) if action_logger is not None else None
        super().__init__(*args, action_logger=logger, **kwargs)


class DaphneCommandLine(CommandLineInterface):
    server_class = ShortenedTokensServer
