"""SMTP and Twilio credentials typed in Settings → Channels, kept encrypted in the database.

Secrets are Fernet tokens under a key derived (HKDF-SHA256) from the instance's SECRET_KEY, so a
copy of the database alone does not reveal them. Values in instance/config.py or the environment
always win: an install that configures a provider there keeps working exactly as before. Every
read goes to the database (once per request or task), so a change takes effect in the web app
and the worker without a restart.
"""
from __future__ import annotations

import base64
from collections import ChainMap
from collections.abc import Mapping

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, g

from clientbook.extensions import db
from clientbook.models import ChannelCredentials

MAIL_SECURITY = {"starttls": "STARTTLS (usually port 587)", "ssl": "TLS from the start (usually port 465)",
                 "none": "None: a relay on a trusted network"}


def _fernet() -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"clientbook channel credentials",
               info=b"fernet").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    """The secret, or "" when there is none or it was sealed under another SECRET_KEY."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def stored_credentials() -> ChannelCredentials | None:
    if "channel_credentials" not in g:
        g.channel_credentials = db.session.scalar(sa.select(ChannelCredentials).limit(1))
    return g.channel_credentials


def forget_cached() -> None:
    g.pop("channel_credentials", None)


def mail_from_config() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def twilio_from_config() -> bool:
    return bool(current_app.config.get("TWILIO_ACCOUNT_SID"))


def mail_values(row: ChannelCredentials, password: str | None = None) -> dict:
    """A row's SMTP settings under the config keys clientbook.mail reads."""
    return {
        "MAIL_SERVER": row.mail_server, "MAIL_PORT": row.mail_port or (465 if row.mail_security == "ssl" else 587),
        "MAIL_USE_SSL": row.mail_security == "ssl", "MAIL_USE_TLS": row.mail_security == "starttls",
        # "none" is the owner saying the relay is trusted without encryption.
        "MAIL_ALLOW_PLAIN_LOGIN": row.mail_security == "none", "MAIL_REQUIRE_STARTTLS": row.mail_security == "starttls",
        "MAIL_USERNAME": row.mail_username,
        "MAIL_PASSWORD": decrypt(row.mail_password_encrypted) if password is None else password,
        "MAIL_FROM": row.mail_from,
    }


def mail_config() -> Mapping:
    """What clientbook.mail sends with: config and environment when they name a server, else Settings."""
    config = current_app.config
    if mail_from_config():
        return config
    row = stored_credentials()
    if row is None or not row.mail_server:
        return config
    return ChainMap(mail_values(row), config)


def twilio_values(row: ChannelCredentials, token: str | None = None) -> dict:
    return {"TWILIO_ACCOUNT_SID": row.twilio_account_sid, "TWILIO_FROM": row.twilio_from,
            "TWILIO_AUTH_TOKEN": decrypt(row.twilio_auth_token_encrypted) if token is None else token}


def twilio_config() -> Mapping:
    config = current_app.config
    if twilio_from_config():
        return config
    row = stored_credentials()
    if row is None or not row.twilio_account_sid:
        return config
    return ChainMap(twilio_values(row), config)
