"""Outgoing email through the shop's SMTP server, configured in instance config or environment.

Keys (CLIENTBOOK_<KEY> in the environment): MAIL_SERVER, MAIL_PORT (587), MAIL_USE_TLS
(STARTTLS, default true), MAIL_USE_SSL (implicit TLS, default false), MAIL_USERNAME,
MAIL_PASSWORD, MAIL_FROM ("Shop name <shop@example.com>"), MAIL_TIMEOUT (seconds, 20).
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER") and current_app.config.get("MAIL_FROM"))


def _flag(name: str, default: bool) -> bool:
    value = current_app.config.get(name, default)
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")


def send_email(message: EmailMessage) -> None:
    """Send one message; raises smtplib.SMTPException / OSError on failure for the caller to classify."""
    if not mail_configured():
        raise RuntimeError("Email is not set up: add MAIL_SERVER and MAIL_FROM to the instance config.")
    config = current_app.config
    if "From" not in message:
        message["From"] = config["MAIL_FROM"]
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT", 587))
    timeout = float(config.get("MAIL_TIMEOUT", 20))
    smtp_class = smtplib.SMTP_SSL if _flag("MAIL_USE_SSL", False) else smtplib.SMTP
    with smtp_class(host, port, timeout=timeout) as smtp:
        if smtp_class is smtplib.SMTP and _flag("MAIL_USE_TLS", True) and smtp.has_extn("starttls"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        smtp.send_message(message)
