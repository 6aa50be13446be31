"""Settings handed from ``recpilot serve --workers N`` to its worker processes.

uvicorn starts each worker fresh and builds the app with a factory, so the settings the command
resolved (flags, config file, environment) travel in one environment variable, secrets included:
the workers are the same user's processes, which already see the environment.
"""

from __future__ import annotations

import json
import os

from recpilot.settings import Settings

SETTINGS_ENV = "RECPILOT_SERVE_SETTINGS_JSON"


def settings_for_workers(settings: Settings, host: str) -> str:
    data = settings.model_dump(mode="json", exclude={"config_file"})
    data["api_token"] = settings.api_token.get_secret_value() if settings.api_token is not None else None
    return json.dumps({"settings": data, "host": host})


def settings_from_env() -> tuple[Settings, str]:
    raw = json.loads(os.environ[SETTINGS_ENV])
    return Settings(**raw["settings"]), raw["host"]
