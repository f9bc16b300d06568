"""The CLI's one way to talk to the server: the REST API with a Bearer token."""

import httpx

from functions_cli.config import Config


class ApiError(Exception):
    """A request the server refused or could not answer, in words for the user; `body`
    is the server's answer when it gave one."""

    def __init__(self, message: str, body: object = None) -> None:
        super().__init__(message)
        self.body = body


class Client:
    def __init__(self, config: Config, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self.http = httpx.Client(
            base_url=f"{config.url}/api/v1/workspaces/{config.workspace}/",
            headers={"Authorization": f"Bearer {config.token}"},
            timeout=30.0,
            transport=transport,
        )

    def get(self, path: str, **params) -> object:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: dict | None = None) -> object:
        return self._request("POST", path, json=body or {})

    def patch(self, path: str, body: dict) -> object:
        return self._request("PATCH", path, json=body)

    def _request(self, method: str, path: str, **kwargs) -> object:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(f"Cannot reach {self.config.url}: {exc}") from exc
        if response.status_code == 401:
            raise ApiError(
                "The server refused the token. Run `functions-cli login` with a valid one."
            )
        if response.status_code >= 400:
            raise ApiError(_describe(response), _json_or_none(response))
        return response.json() if response.content else None

    def items(self, path: str, **params) -> list:
        """Every item of a paginated list endpoint."""
        found, offset = [], 0
        while True:
            page = self.get(path, limit=100, offset=offset, **params)
            if isinstance(page, list):
                return page
            found.extend(page["results"])
            if not page.get("next"):
                return found
            offset += 100


def _json_or_none(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _describe(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"The server answered HTTP {response.status_code}."
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("error")
        errors = body.get("errors") or {}
        if detail and body.get("failed_tests"):  # the deploy gate: say what differs
            return "\n".join([detail, *_failed_tests(body["failed_tests"])])
        if detail and errors:  # a validation error: what each field needs, once
            untold = {f: e for f, e in errors.items() if _flat(e) not in str(detail)}
            return " ".join([str(detail), *(f"{f}: {_flat(e)}" for f, e in untold.items())])
        if detail:
            return str(detail)
        return "; ".join(f"{field}: {_flat(errors)}" for field, errors in body.items())
    return str(body)


def _failed_tests(failed: list) -> list[str]:
    lines = []
    for test in failed:
        lines.append(f"FAIL {test.get('name')}")
        lines += [f"    {line}" for line in test.get("differences") or []]
    return lines


def _flat(errors) -> str:
    return " ".join(map(str, errors)) if isinstance(errors, list) else str(errors)
