"""Email through the shop's SMTP server (clientbook.mail): headers, plain text, address, unsubscribe."""
from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from markupsafe import escape

from clientbook.mail import MailNotSecure, mail_config, mail_configured, send_email
from clientbook.messaging.channels import AmbiguousError, PermanentError, SendResult, TransientError


def sender_domain() -> str:
    _name, address = parseaddr(mail_config().get("MAIL_FROM") or "")
    return address.rpartition("@")[2] or "localhost"


def build_email(*, to: str, subject: str, body: str, shop_name: str, postal_address: str,
                unsubscribe_url: str) -> EmailMessage:
    message = EmailMessage()
    message["Message-ID"] = make_msgid(domain=sender_domain())
    message["Date"] = formatdate(usegmt=True)
    message["From"] = mail_config().get("MAIL_FROM") or ""
    message["To"] = to
    message["Subject"] = subject or shop_name
    # RFC 8058 one-click: mail apps show "Unsubscribe" and POST to the link themselves.
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    footer_lines = [shop_name, *[line.strip() for line in (postal_address or "").splitlines() if line.strip()]]
    text = (body.rstrip() + "\n\n-- \n" + "\n".join(footer_lines)
            + f"\n\nNo longer want these emails? Unsubscribe: {unsubscribe_url}\n")
    message.set_content(text)
    paragraphs = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in body.strip().split("\n\n"))
    footer = "<br>".join(str(escape(line)) for line in footer_lines)
    message.add_alternative(
        f"<!doctype html><html><body>{paragraphs}<hr><p><small>{footer}</small></p>"
        f"<p><small><a href=\"{escape(unsubscribe_url)}\">Unsubscribe</a></small></p></body></html>",
        subtype="html",
    )
    return message


def send(message: EmailMessage) -> SendResult:
    if not mail_configured():
        raise PermanentError("Email is not set up: MAIL_SERVER and MAIL_FROM are needed.")
    try:
        send_email(message)
    except MailNotSecure as exc:
        raise PermanentError(str(exc)) from exc
    except ssl.SSLCertVerificationError as exc:
        raise PermanentError(f"The mail server's certificate could not be verified: {exc.verify_message}") from exc
    except (ConnectionRefusedError, smtplib.SMTPConnectError) as exc:
        raise TransientError(f"Could not connect to the mail server: {exc}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError(f"The mail server refused the address: {_first_reason(exc)}") from exc
    except smtplib.SMTPResponseException as exc:
        reason = f"Mail server said {exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
        if 400 <= exc.smtp_code < 500:
            raise TransientError(reason) from exc
        raise PermanentError(reason) from exc
    except (socket.timeout, smtplib.SMTPServerDisconnected) as exc:
        raise AmbiguousError("The mail server stopped answering mid-send; the email may have gone out.") from exc
    except OSError as exc:
        raise TransientError(f"Mail server unreachable: {exc}") from exc
    return SendResult(provider_id=message["Message-ID"])


def _first_reason(exc: smtplib.SMTPRecipientsRefused) -> str:
    for code, reason in exc.recipients.values():
        return f"{code} {reason.decode(errors='replace') if isinstance(reason, bytes) else reason}"
    return "refused"

