"""Settings from RXF_* environment variables.

The embedded default needs no configuration at all; production (RXF_ENV=prod) refuses
to start on any dev default, so a forgotten variable cannot silently run a fake.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

OFFICIAL_API_BASE = "https://api.weixin.qq.com/cgi-bin/"
DEV_TOKEN = "rxf-dev-token"
DEV_APPID = "wxfake0000000000"
DEV_SECRET = "fake-secret"
DEFAULT_DB_URL = "sqlite+aiosqlite:///./var/rxf.db"


class SettingsError(Exception):
    """One line naming the setting that is wrong, shown at start instead of a traceback."""


class Settings(BaseSettings):
    """Every setting of the bot, read from RXF_* environment variables; frozen.
    The defaults run the embedded mode with no configuration; `prod_problems` lists what
    production must set."""

    model_config = SettingsConfigDict(env_prefix="RXF_", extra="ignore", frozen=True)

    env: Literal["dev", "prod"] = "dev"
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    var_dir: Path = Path("./var")

    wechat_token: str = DEV_TOKEN
    wechat_appid: str = DEV_APPID
    wechat_secret: str = DEV_SECRET
    wechat_aes_key: str | None = None
    # The EncodingAESKey before the last change, still accepted for messages already on
    # their way (docs/wechat.md, "Changing the EncodingAESKey").
    wechat_aes_key_previous: str | None = None
    wechat_api_base: str | None = None
    # Replays older than this are refused even with a valid signature (0 disables).
    signature_max_age: int = Field(600, ge=0)
    reply_budget: float = Field(4.0, gt=0, le=4.8)

    database_url: str = DEFAULT_DB_URL
    # PostgreSQL schema to live in (search_path); lets one database host several bots.
    database_schema: str | None = Field(None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    db_pool_size: int = Field(10, ge=1)
    # Connections holding users' locks (PostgreSQL), on which each step also reads and
    # writes: how many users one process serves at the same instant; more wait their turn.
    db_lock_pool_size: int = Field(16, ge=1)

    platform: Literal["local", "http"] = "local"
    platform_url: str | None = None
    platform_secret: str | None = None
    platform_timeout: float = Field(4.0, gt=0)

    sms: Literal["local", "http"] = "local"
    sms_url: str | None = None
    # Verification codes sent per minute overall (a ceiling against SMS pumping).
    sms_per_minute: int = Field(60, ge=1)
    verify: Literal["local", "http"] = "local"
    verify_url: str | None = None
    verify_timeout: float = Field(10.0, gt=0)
    local_registry: Path | None = None

    data_key: str | None = None

    # Typed template messages: a YAML file (bot/templates.example.yaml, README).
    templates: Path | None = None
    # The dev shorthand: template ids only, our own field names as keys.
    template_credit: str | None = None
    template_disburse: str | None = None
    template_reject: str | None = None
    # A page showing a demand; template pushes link to it with ?no=<单据号>.
    detail_url: str | None = None
    push_max_attempts: int = Field(8, ge=1)
    # How often the push worker and the tickets' media worker look for due rows when
    # nothing woke them (a retry coming due is found by this poll).
    push_interval: float = Field(0.5, gt=0)
    # First retry delay; doubles per attempt (with jitter) up to push_max_delay.
    push_base_delay: float = Field(2.0, gt=0)
    push_max_delay: float = Field(600.0, gt=0)
    outbox_retention_days: int = Field(30, ge=1)
    # Retention of the other tables (README, "Retention"); housekeeping enforces them hourly.
    delivery_retention_days: int = Field(1, ge=1)
    conversation_retention_days: int = Field(7, ge=1)
    sms_code_retention_days: int = Field(2, ge=2)  # the daily SMS caps read a day back
    faq_log_retention_days: int = Field(180, ge=1)
    consent_retention_days: int = Field(1095, ge=1)
    audit_retention_days: int = Field(1825, ge=1)
    replay_retention_days: int = Field(1, ge=1)
    follower_source_retention_days: int = Field(365, ge=1)
    platform_event_retention_days: int = Field(365, ge=1)
    ticket_retention_days: int = Field(365, ge=1)
    ticket_image_retention_days: int = Field(180, ge=1)
    # A push to a user who never followed or wrote (no window can open) ends after this.
    push_give_up_days: int = Field(7, ge=1)

    # Extra dialog modules (comma-separated import paths), e.g. a pilot flow or test form.
    extra_dialogs: str = ""
    # FAQ knowledge folder (faq.yaml, dictionaries); the shipped one by default.
    knowledge_dir: Path | None = None
    # How often each server process looks for operators' FAQ edits (bot/faq_overlay.py).
    faq_poll_interval: float = Field(2.0, gt=0)
    rate_limit_per_minute: int = Field(30, ge=1)
    dev_endpoints: bool | None = None

    # The operators' web console (ops/console): its own listener, never the webhook's.
    # Port 0 turns it off.
    console_host: str = "127.0.0.1"
    console_port: int = Field(8081, ge=0, le=65535)
    console_idle_minutes: int = Field(30, ge=1)
    # Wrong passwords before an operator is locked, and for how long.
    console_max_failures: int = Field(5, ge=1)
    console_lock_minutes: int = Field(15, ge=1)
    # Failed logins from one address (any operator name) within the lock period before
    # that address is refused too.
    console_address_failures: int = Field(20, ge=1)


    @field_validator("wechat_aes_key", "wechat_aes_key_previous")
    @classmethod
    def _aes_key(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value in (None, ""):
            return None
        if info.field_name == "wechat_aes_key_previous" and not info.data.get("wechat_aes_key"):
            raise ValueError("is only used with RXF_WECHAT_AES_KEY (the current key)")
        try:
            raw = base64.b64decode(value + "=", validate=True)
        except ValueError as exc:
            raise ValueError("must be the 43-character EncodingAESKey") from exc
        if len(value) != 43 or len(raw) != 32:
            raise ValueError("must be the 43-character EncodingAESKey")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # The bot is async throughout: a sync driver's URL would fail deep in start-up.
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must be sqlite+aiosqlite:///path/to/rxf.db or "
                             "postgresql+asyncpg://user@host/dbname")
        return value

    @field_validator("templates", "detail_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("detail_url")
    @classmethod
    def _detail_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/]+\S*", value):
            raise ValueError("must be a web address such as https://platform.example/demand")
        return value

    @field_validator("wechat_api_base")
    @classmethod
    def _api_base(cls, value: str | None) -> str | None:
        if value and not value.endswith("/"):
            value += "/"
        return value or None

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.platform == "http" and not self.platform_url:
            raise ValueError("RXF_PLATFORM_URL is required when RXF_PLATFORM=http")
        if self.sms == "http" and not self.sms_url:
            raise ValueError("RXF_SMS_URL is required when RXF_SMS=http")
        if self.verify == "http" and not self.verify_url:
            raise ValueError("RXF_VERIFY_URL is required when RXF_VERIFY=http")
        if self.console_port and self.console_port == self.port:
            raise ValueError("RXF_CONSOLE_PORT must differ from RXF_PORT: the console never "
                             "listens on the webhook's port")
        if self.workers > 1 and self.is_sqlite:
            raise ValueError(
                "RXF_WORKERS>1 needs PostgreSQL: SQLite allows one writing process "
                "(set RXF_DATABASE_URL=postgresql+asyncpg://...)"
            )
        if self.templates is not None and any(self.shorthand_templates().values()):
            raise ValueError("RXF_TEMPLATES and RXF_TEMPLATE_CREDIT/DISBURSE/REJECT are both "
                             "set; keep RXF_TEMPLATES")
        if self.env == "prod":
            for problem in self.prod_problems():
                raise ValueError(problem)
        return self

    def prod_problems(self) -> list[str]:
        """What is unsafe or missing for production (dev defaults, no data key …), one line each;
        empty when the settings may serve real users."""
        problems = []
        if self.wechat_token == DEV_TOKEN:
            problems.append("RXF_WECHAT_TOKEN is the dev default; set the real token")
        if self.wechat_appid == DEV_APPID or self.wechat_secret == DEV_SECRET:
            problems.append("RXF_WECHAT_APPID/RXF_WECHAT_SECRET are dev defaults")
        if not self.data_key:
            problems.append("RXF_DATA_KEY is required in prod (PII encryption key)")
        if self.wechat_api_base and "fake-wechat" in self.wechat_api_base:
            problems.append("RXF_WECHAT_API_BASE points at the fake WeChat API")
        if self.sms == "local":
            problems.append("RXF_SMS=local only records codes; prod needs RXF_SMS=http")
        if self.is_sqlite:
            problems.append("RXF_DATABASE_URL is SQLite; prod needs PostgreSQL")
        if self.platform == "http" and not self.platform_secret:
            problems.append("RXF_PLATFORM_SECRET is required for platform callbacks")
        if self.wechat_aes_key is None:
            problems.append("RXF_WECHAT_AES_KEY is required in prod: plain mode signs no "
                            "message body; set the EncodingAESKey and choose 安全模式")
        if self.platform == "local":
            problems.append("RXF_PLATFORM=local serves demo data; prod needs "
                            "RXF_PLATFORM=http with RXF_PLATFORM_URL")
        if self.verify == "local":
            problems.append("RXF_VERIFY=local checks the demo registry; prod needs "
                            "RXF_VERIFY=http with RXF_VERIFY_URL")
        if self.dev_endpoints:
            problems.append("RXF_DEV_ENDPOINTS shows what the SMS gateway sent; unset it in prod")
        if self.templates is None and any(self.shorthand_templates().values()):
            problems.append("RXF_TEMPLATE_CREDIT/DISBURSE/REJECT send our own field names, "
                            "which a WeChat template does not have; prod needs RXF_TEMPLATES")
        return problems

    @property
    def safe_mode(self) -> bool:
        """Whether WeChat messages are encrypted (an AES key is set)."""
        return self.wechat_aes_key is not None

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is SQLite (the embedded default)."""
        return self.database_url.startswith("sqlite")

    @property
    def uses_fake_wechat(self) -> bool:
        """Whether the built-in fake WeChat API serves the calls (dev, no API base given)."""
        return self.wechat_api_base is None and self.env == "dev"

    @property
    def api_base(self) -> str:
        """The WeChat API base URL the client calls: the configured one, the built-in fake's, or
        WeChat's own."""
        if self.wechat_api_base:
            return self.wechat_api_base
        if self.uses_fake_wechat:
            return f"http://{self.host}:{self.port}/fake-wechat/cgi-bin/"
        return OFFICIAL_API_BASE

    @property
    def dev_routes(self) -> bool:
        """Whether the /dev routes the chat simulator reads are served (RXF_DEV_ENDPOINTS;
        by default in dev only)."""
        return self.env == "dev" if self.dev_endpoints is None else self.dev_endpoints

    def extra_dialog_modules(self) -> tuple[str, ...]:
        """The dialog modules to register besides the built-in ones (RXF_EXTRA_DIALOGS)."""
        return tuple(m.strip() for m in self.extra_dialogs.split(",") if m.strip())

    def shorthand_templates(self) -> dict[str, str | None]:
        """The template ids of the dev shorthand (RXF_TEMPLATE_CREDIT/DISBURSE/REJECT) per push
        kind; None for a kind not configured."""
        return {
            "credit": self.template_credit,
            "disburse": self.template_disburse,
            "reject": self.template_reject,
        }


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment (plus overrides), or SettingsError with one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "_".join(str(p) for p in err.get("loc", ())).upper()
        where = f"RXF_{name}: " if name else ""
        message = str(err.get("msg", exc)).removeprefix("Value error, ")
        raise SettingsError(f"configuration error: {where}{message}") from None
