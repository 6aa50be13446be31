"""Settings precedence: init kwargs (CLI flags) > RECPILOT_* env > TOML file > defaults."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from recpilot.cli.main import configure
from recpilot.errors import ConfigError
from recpilot.settings import Settings


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean environment: no RECPILOT_* but RECPILOT_HOME=tmp_path/home."""
    for key in list(os.environ):
        if key.startswith("RECPILOT_"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("RECPILOT_HOME", str(home))
    return SimpleNamespace(home=home, set=monkeypatch.setenv)


def write_config(path, text: str):
    path.write_text(text)
    return path


def cli_settings(**flags) -> Settings:
    """What the ``recpilot`` callback builds from its global flags."""
    ctx = SimpleNamespace(obj=None)
    options = {"home": None, "catalog": None, "config": None, "llm_backend": None, "llm_model_path": None,
               "llm_base_url": None, "llm_model": None, "llm_timeout": None, "debug": False}
    configure(ctx, **{**options, **flags})
    return ctx.obj


def test_settings_defaults(env):
    s = Settings()
    assert s.home == env.home
    assert (s.catalog, s.k, s.llm.backend, s.llm.timeout_s, s.config_file) == ("demo", 5, "llamacpp", 20.0, None)
    assert s.sessions_db == env.home / "sessions.db"


def test_settings_toml_in_home_overrides_defaults(env):
    write_config(env.home / "config.toml",
                 'k = 7\ncatalog = "movies"\n[llm]\nbackend = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n')
    s = Settings()
    assert (s.k, s.catalog, s.llm.backend, s.llm.base_url) == (7, "movies", "openai", "http://127.0.0.1:9/v1")
    assert s.llm.timeout_s == 20.0  # untouched fields keep their defaults


def test_settings_env_overrides_toml_field_by_field(env):
    write_config(env.home / "config.toml", 'k = 7\n[llm]\nbackend = "openai"\ntimeout_s = 3\n')
    env.set("RECPILOT_K", "9")
    env.set("RECPILOT_LLM__BACKEND", "none")
    s = Settings()
    assert s.k == 9
    assert s.llm.backend == "none"  # nested env var wins ...
    assert s.llm.timeout_s == 3.0  # ... without wiping the file's other [llm] fields


def test_settings_init_kwargs_override_env_and_toml(env):
    write_config(env.home / "config.toml", 'k = 7\n[llm]\ntimeout_s = 3\nmodel = "from-file"\n')
    env.set("RECPILOT_K", "9")
    env.set("RECPILOT_LLM__TIMEOUT_S", "4")
    s = Settings(k=11, llm={"timeout_s": 6})
    assert s.k == 11
    assert s.llm.timeout_s == 6.0
    assert s.llm.model == "from-file"


def test_cli_flags_override_single_llm_fields(env):
    write_config(env.home / "config.toml",
                 '[llm]\nbackend = "openai"\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "from-file"\n')
    env.set("RECPILOT_LLM__TIMEOUT_S", "4")
    env.set("RECPILOT_CATALOG", "from-env")

    s = cli_settings(llm_timeout=2.5, catalog="from-flag")

    assert s.llm.timeout_s == 2.5
    assert s.catalog == "from-flag"
    assert (s.llm.backend, s.llm.base_url, s.llm.model) == ("openai", "http://127.0.0.1:9/v1", "from-file")


def test_settings_explicit_config_file_replaces_the_home_one(env, tmp_path):
    write_config(env.home / "config.toml", "k = 7\n")
    other = write_config(tmp_path / "other.toml", "k = 3\n")
    assert Settings(config_file=other).k == 3
    env.set("RECPILOT_CONFIG_FILE", str(other))
    assert Settings().k == 3
    assert cli_settings(config=other).k == 3


def test_settings_home_from_init_reads_that_homes_config(env, tmp_path):
    other_home = tmp_path / "other-home"
    other_home.mkdir()
    write_config(other_home / "config.toml", "k = 4\n")
    s = Settings(home=other_home)
    assert (s.home, s.k) == (other_home, 4)


def test_settings_missing_explicit_config_file_is_a_config_error(env, tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="config file not found: .*nope.toml"):
        Settings(config_file=missing)
    env.set("RECPILOT_CONFIG_FILE", str(missing))
    with pytest.raises(ConfigError, match="config file not found"):
        Settings()


def test_settings_unparsable_toml_is_a_config_error(env):
    write_config(env.home / "config.toml", "k = [\n")
    with pytest.raises(ConfigError, match="cannot read config file .*config.toml"):
        Settings()


@pytest.mark.parametrize(
    ("source", "key", "value", "field"),
    [
        ("env", "RECPILOT_K", "abc", "k"),
        ("env", "RECPILOT_LLM__BACKEND", "gpt-9", "llm.backend"),
        ("env", "RECPILOT_LLM__TIMEOUT_S", "-1", "llm.timeout_s"),
        ("toml", "k", "0", "k"),
        ("toml", "colour", '"red"', "colour"),  # unknown keys are refused, not ignored
    ],
)
def test_settings_bad_value_is_a_validation_error_naming_the_field(env, source, key, value, field):
    if source == "env":
        env.set(key, value)
    else:
        write_config(env.home / "config.toml", f"{key} = {value}\n")
    with pytest.raises(ValidationError) as info:
        Settings()
    locs = [".".join(map(str, e["loc"])) for e in info.value.errors()]
    assert locs == [field]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"llm_backend": "bogus"}, "llm.backend: Input should be 'llamacpp', 'openai' or 'none' (got 'bogus')"),
        ({"llm_timeout": -1.0}, "llm.timeout_s: Input should be greater than 0"),
    ],
)
def test_cli_bad_flag_is_a_one_line_config_error(env, flags, message):
    with pytest.raises(ConfigError) as info:
        cli_settings(**flags)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_bad_env_value_is_a_one_line_config_error(env):
    env.set("RECPILOT_K", "many")
    with pytest.raises(ConfigError, match=r"^invalid settings: k: .*\(got 'many'\)$"):
        cli_settings()


def test_settings_api_key_is_never_printed(env):
    env.set("RECPILOT_LLM__API_KEY", "sk-very-secret")
    s = Settings()
    assert s.llm.api_key.get_secret_value() == "sk-very-secret"
    assert "sk-very-secret" not in repr(s) and "sk-very-secret" not in s.model_dump_json()
