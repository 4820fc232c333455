"""Outgoing email through the shop's SMTP server, configured in instance config or environment.

Keys (CLIENTBOOK_<KEY> in the environment): MAIL_SERVER, MAIL_PORT (587), MAIL_USE_TLS
(STARTTLS, default true), MAIL_USE_SSL (implicit TLS, default false), MAIL_USERNAME,
MAIL_PASSWORD, MAIL_FROM ("Shop name <shop@example.com>"), MAIL_TIMEOUT (seconds, 20).

The server's certificate is always checked against the system's trusted authorities (or
MAIL_CA_FILE, for a shop's own authority); MAIL_TLS_VERIFY=false turns that off. A user name and
password are only sent over TLS, unless MAIL_ALLOW_PLAIN_LOGIN=true says the server is trusted
without it (e.g. a relay on the same machine).
"""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from email.message import EmailMessage


def mail_config() -> Mapping:
    """Instance config and environment win; otherwise what the owner saved in Settings → Channels."""
    from clientbook.messaging.credentials import mail_config as configured

    return configured()


def mail_configured() -> bool:
    config = mail_config()
    return bool(config.get("MAIL_SERVER") and config.get("MAIL_FROM"))


def _flag(name: str, default: bool, config: Mapping | None = None) -> bool:
    value = (mail_config() if config is None else config).get(name, default)
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")


class MailNotSecure(smtplib.SMTPException):
    """The server can't be talked to safely with the current settings; retrying won't help."""


def tls_context(config: Mapping | None = None) -> ssl.SSLContext:
    config = mail_config() if config is None else config
    context = ssl.create_default_context(cafile=config.get("MAIL_CA_FILE") or None)
    if not _flag("MAIL_TLS_VERIFY", True, config):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def send_email(message: EmailMessage, handing_over: Callable[[], None] | None = None,
               config: Mapping | None = None) -> None:
    """Send one message; raises smtplib.SMTPException / OSError on failure for the caller to classify.

    `handing_over` is called once the server has accepted the connection (and login), just before
    the message itself goes out: from then on a crash leaves the outcome unknown. `config`
    overrides the settings (the Channels page tries typed values before saving them).
    """
    config = mail_config() if config is None else config
    if not (config.get("MAIL_SERVER") and config.get("MAIL_FROM")):
        raise RuntimeError("Email is not set up: add MAIL_SERVER and MAIL_FROM to the instance config.")
    if "From" not in message:
        message["From"] = config["MAIL_FROM"]
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT", 587))
    timeout = float(config.get("MAIL_TIMEOUT", 20))
    implicit_tls = _flag("MAIL_USE_SSL", False, config)
    if implicit_tls:
        connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls_context(config))
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
    with connection as smtp:
        encrypted = implicit_tls
        if not implicit_tls and _flag("MAIL_USE_TLS", True, config):
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=tls_context(config))
                encrypted = True
            elif _flag("MAIL_REQUIRE_STARTTLS", False, config):
                raise MailNotSecure(f"The mail server {host} offers no encryption (STARTTLS) on port {port}.")
        if config.get("MAIL_USERNAME"):
            if not encrypted and not _flag("MAIL_ALLOW_PLAIN_LOGIN", False, config):
                raise MailNotSecure(
                    f"The mail server {host} offers no encryption (STARTTLS), so the password was not sent. "
                    "Use the server's secure port, or set MAIL_ALLOW_PLAIN_LOGIN if it is on a trusted network."
                )
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        if handing_over is not None:
            handing_over()
        smtp.send_message(message)
