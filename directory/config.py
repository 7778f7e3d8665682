"""Load and check the node's configuration: TOML file, then environment overrides.

Every key has a default (see config.example.toml). Environment variables named
``SMEDIR_<SECTION>__<KEY>`` override the file, e.g. ``SMEDIR_NODE__ID=kh`` or
``SMEDIR_DATABASE__URL=postgresql+psycopg://...``; values are read as TOML
values when they parse as one (``true``, ``15``, ``["a", "b"]``), else as text.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from directory.secret_strength import GENERATE_HINT, weak_secret_problem

ENV_PREFIX = "SMEDIR_"
CONFIG_ENV = "SMEDIR_CONFIG"
DEFAULT_SECRET = "change-me"
NODE_ID_RE = re.compile(r"^[a-z][a-z0-9-]{1,31}$")

DEFAULTS: dict[str, Any] = {
    "node": {
        "id": "kh",
        "name": "Cambodia SME Directory",
        "country": "KH",
        "role": "national",
        "base_url": "http://127.0.0.1:5000",
        "instance_path": "instance",
    },
    "database": {"url": "", "echo": False, "pool_size": 5},
    "security": {
        "secret_key": DEFAULT_SECRET,
        "production": False,
        "password_min_length": 10,
        "login_max_failures": 5,
        "login_max_failures_per_address": 20,
        "password_reset_minutes": 60,
        "password_reset_per_hour": 3,
        "signup_max_per_address": 10,
        "signup_window_seconds": 3600,
        "signup_confirm_hours": 48,
        "argon2_memory_kib": 65536,
        "argon2_time_cost": 3,
        "argon2_parallelism": 4,
        "login_window_seconds": 900,
        "session_hours": 12,
        "proxy_hops": 0,
    },
    "review": {
        "verified_fields": ["names", "registration", "legal_form", "address", "sectors"],
        "duplicate_probable": 0.85,
        "duplicate_possible": 0.65,
        "queue_page_size": 50,
    },
    "quality": {"reconfirm_months": 12},
    "map": {"tile_url": "", "attribution": "", "max_zoom": 18},
    "search": {
        "page_size": 20,
        "max_page_size": 100,
        "csv_per_minute": 6,
        "page_cache_mb": 32,
        "page_max_age": 30,
        "stale_counts_ms": 10,  # the page budget is 50 ms; a rare word counts 14 ms at 100k
    },
    "mail": {
        "backend": "folder",
        "outbox": "outbox",
        "sender": "no-reply@sme-directory.local",
        "smtp_host": "",
        "smtp_port": 587,
        "smtp_user": "",
        "smtp_password_env": "SMEDIR_SMTP_PASSWORD",
        "smtp_starttls": True,
    },
    "api": {
        "max_body_bytes": 2_097_152,
        "feed_max_limit": 1000,
        "feed_default_limit": 100,
        "rate_limit_per_minute": 600,
    },
    "oai": {
        "page_size": 100,
        "token_ttl_seconds": 3600,
        "admin_email": "admin@example.org",
        "repository_identifier": "",
        "require_token": False,
    },
    "sync": {
        "connect_timeout": 5.0,
        "read_timeout": 30.0,
        "max_response_bytes": 50_000_000,
        "retries": 3,
        "page_size": 500,
        "tombstone_guard_share": 0.2,
        "misfire_grace_seconds": 300,
        "request_deadline_seconds": 120.0,
        "max_dump_bytes": 5_000_000_000,
        "backoff_factor": 0.5,
        "retry_after_max_seconds": 60.0,
        "push_batch_size": 200,
        "tombstone_guard_min": 10,
        "lease_seconds": 30,
    },
    "enquiries": {
        "enabled": True,
        "expire_days": 30,
        "keep_days": 365,
        "confirm_hours": 48,
        "max_per_sender_per_day": 10,
        "max_per_address_per_day": 20,
        "max_per_listing_per_day": 30,
        "send_seconds": 60,
        "saved_searches_per_email": 10,
    },
    "peers": [],
}

PEER_DEFAULTS: dict[str, Any] = {
    "protocol": "feed",
    "pull": True,
    "push": False,
    "schedule_minutes": 60,
    "trust": "review",
    "token_env": "",
    "relay": False,
    "hub": False,
    "mapping": {},
    "schedule_seconds": 0,
    "metadata_prefix": "oai_dc",
    "oai_set": "",
}


class ConfigError(Exception):
    """A missing or malformed configuration; str() is one line naming file and key."""

    def __init__(self, source: str, key: str, problem: str):
        self.source, self.key, self.problem = source, key, problem
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")


def resolve_config_path(path: str | os.PathLike | None) -> Path | None:
    """Pick the config file: explicit path, else $SMEDIR_CONFIG, else ./config.toml, else None."""
    if path:
        return Path(path)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = Path("config.toml")
    return local if local.exists() else None


def load_config(
    path: str | os.PathLike | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Read defaults <- file <- environment <- overrides and return the checked settings."""
    cfg = copy.deepcopy(DEFAULTS)
    file_path = resolve_config_path(path)
    source = str(file_path) if file_path else "<defaults>"
    if file_path is not None:
        _merge(cfg, _read_toml(file_path))
    _merge(cfg, _env_overrides(os.environ if environ is None else environ))
    if overrides:
        _merge(cfg, copy.deepcopy(overrides))
    base_dir = file_path.resolve().parent if file_path else Path.cwd()
    return _check(cfg, source, base_dir)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), "", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"not valid TOML ({exc})") from None


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX) :].split("__")]
        if parts[0] not in DEFAULTS or parts[0] == "peers":
            continue
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _parse_env_value(raw)
    return out


def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def _check(cfg: dict[str, Any], source: str, base_dir: Path) -> dict[str, Any]:
    for section, defaults in DEFAULTS.items():
        if isinstance(defaults, dict):
            if not isinstance(cfg.get(section), dict):
                raise ConfigError(source, section, "must be a table")
            for key, default in defaults.items():
                _check_type(source, f"{section}.{key}", cfg[section].get(key), default)
    node = cfg["node"]
    if not NODE_ID_RE.match(node["id"]):
        raise ConfigError(source, "node.id", "must match ^[a-z][a-z0-9-]{1,31}$")
    if node["role"] not in ("national", "hub"):
        raise ConfigError(source, "node.role", 'must be "national" or "hub"')
    if not re.fullmatch(r"[A-Z]{2}", node["country"]):
        raise ConfigError(source, "node.country", "must be an ISO 3166-1 alpha-2 code")
    _check_duplicate_bands(source, cfg["review"])
    if not 1 <= cfg["review"]["queue_page_size"] <= 500:
        raise ConfigError(source, "review.queue_page_size", "must be between 1 and 500")
    instance = Path(node["instance_path"])
    node["instance_path"] = str(instance if instance.is_absolute() else base_dir / instance)
    if not 1 <= cfg["quality"]["reconfirm_months"] <= 120:
        raise ConfigError(source, "quality.reconfirm_months", "must be between 1 and 120")
    if not cfg["database"]["url"]:
        cfg["database"]["url"] = f"sqlite:///{Path(node['instance_path']) / 'smedir.sqlite3'}"
    sec = cfg["security"]
    if sec["production"]:
        problem = weak_secret_problem(sec["secret_key"])
        if sec["secret_key"] == DEFAULT_SECRET:
            problem = (
                f"production needs a secret key of its own; generate one with: {GENERATE_HINT}"
            )
        if problem:
            raise ConfigError(source, "security.secret_key", problem)
    _check_enquiries(source, cfg["enquiries"])
    _check_search(source, cfg["search"])
    cfg["peers"] = [_check_peer(source, i, p, node["id"]) for i, p in enumerate(cfg["peers"])]
    return cfg


def _check_duplicate_bands(source: str, review: dict[str, Any]) -> None:
    """0 < possible < probable <= 1: the two score bands of duplicate candidates."""
    probable, possible = review["duplicate_probable"], review["duplicate_possible"]
    if not 0 < probable <= 1:
        raise ConfigError(source, "review.duplicate_probable", "must be above 0 and at most 1")
    if not 0 < possible < probable:
        raise ConfigError(
            source, "review.duplicate_possible", "must be above 0 and below duplicate_probable"
        )


def _check_search(source: str, section: dict[str, Any]) -> None:
    """The page cache's size, its pages' max-age and the stale-counts threshold are >= 0."""
    for key in ("page_cache_mb", "page_max_age", "stale_counts_ms"):
        if section[key] < 0:
            raise ConfigError(source, f"search.{key}", "must be 0 or more")


def _check_enquiries(source: str, section: dict[str, Any]) -> None:
    """Every number of ``[enquiries]`` is at least 1; messages outlive the answer period."""
    for key, value in section.items():
        if key != "enabled" and isinstance(value, int) and value < 1:
            raise ConfigError(source, f"enquiries.{key}", "must be at least 1")
    if section["keep_days"] < section["expire_days"]:
        raise ConfigError(source, "enquiries.keep_days", "must be at least enquiries.expire_days")


def _check_type(source: str, key: str, value: Any, default: Any) -> None:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ConfigError(source, key, f"must be of type {type(default).__name__}, got {value!r}")


def _check_peer(source: str, index: int, peer: Any, own_id: str) -> dict[str, Any]:
    where = f"peers[{index}]"
    if not isinstance(peer, dict):
        raise ConfigError(source, where, "must be a table")
    merged = {**copy.deepcopy(PEER_DEFAULTS), **peer}
    for key in ("id", "base_url"):
        if not isinstance(merged.get(key), str) or not merged[key]:
            raise ConfigError(source, f"{where}.{key}", "is required")
    if not NODE_ID_RE.match(merged["id"]) or merged["id"] == own_id:
        raise ConfigError(source, f"{where}.id", "must be a node id other than this node's")
    for key, default in PEER_DEFAULTS.items():
        _check_type(source, f"{where}.{key}", merged[key], default)
    if merged["protocol"] not in ("feed", "oai-pmh", "jsonl"):
        raise ConfigError(source, f"{where}.protocol", 'must be "feed", "oai-pmh" or "jsonl"')
    if merged["trust"] not in ("publish", "review"):
        raise ConfigError(source, f"{where}.trust", 'must be "publish" or "review"')
    if merged["schedule_minutes"] < 1:
        raise ConfigError(source, f"{where}.schedule_minutes", "must be at least 1")
    return merged
