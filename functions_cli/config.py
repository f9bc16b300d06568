"""The CLI's configuration file, `~/.source-fn-config.json`."""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


class ConfigError(Exception):
    """The configuration is missing or unusable; the message says what to do."""


@dataclass(frozen=True)
class Config:
    url: str
    workspace: str
    token: str
    user: str = ""


def config_path() -> Path:
    return Path(os.environ.get("SOURCE_FN_CONFIG", Path.home() / ".source-fn-config.json"))


def load() -> Config:
    path = config_path()
    if not path.exists():
        raise ConfigError(f"No configuration at {path}. Run `functions-cli login` first.")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{path} is not valid JSON ({exc}). Run `functions-cli login` again."
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object. Run `functions-cli login` again.")
    missing = [key for key in ("url", "workspace", "token") if not data.get(key)]
    if missing:
        raise ConfigError(f"{path} lacks {', '.join(missing)}. Run `functions-cli login` again.")
    return Config(
        url=str(data["url"]).rstrip("/"),
        workspace=str(data["workspace"]),
        token=str(data["token"]),
        user=str(data.get("user", "")),
    )


def save(config: Config) -> Path:
    path = config_path()
    # Created private: it holds an API token, never readable by others even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(json.dumps(asdict(config), indent=2) + "\n")
    return path
