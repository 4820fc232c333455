""""Send a test" on Settings → Channels: try typed SMTP or Twilio settings before they are saved,
and say in plain words what went wrong."""
from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage

from clientbook.mail import MailNotSecure, send_email
from clientbook.messaging.channels import PermanentError, SendError, TransientError


def try_mail(config: Mapping, to: str, shop_name: str) -> tuple[bool, str]:
    host, port = config.get("MAIL_SERVER"), config.get("MAIL_PORT")
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = f"Test from {shop_name}"
    message.set_content(f"This is a test email from {shop_name}'s Clientbook. Email is set up.")
    try:
        send_email(message, config=config)
    except socket.gaierror:
        return False, f"Unreachable host: no mail server called {host} was found. Check the spelling."
    except MailNotSecure:
        return False, (f"No TLS: the server at {host}:{port} does not offer STARTTLS, so the password was not "
                       "sent. Try “TLS from the start” on port 465, or ask the mail provider.")
    except ssl.SSLCertVerificationError as exc:
        return False, f"The server's certificate could not be verified ({exc.verify_message})."
    except ssl.SSLError:
        return False, (f"No TLS: {host}:{port} did not answer a TLS connection. "
                       "Port 587 usually needs STARTTLS, port 465 “TLS from the start”.")
    except smtplib.SMTPAuthenticationError as exc:
        return False, f"Bad login: the mail server refused the user name or password ({exc.smtp_code})."
    except smtplib.SMTPNotSupportedError:
        return False, "The mail server does not accept a login here; leave user and password empty or use TLS."
    except smtplib.SMTPSenderRefused as exc:
        return False, f"The mail server refused the sender address ({exc.smtp_code}): use an address it allows."
    except smtplib.SMTPRecipientsRefused:
        return False, f"The mail server refused to deliver to {to}."
    except smtplib.SMTPException as exc:
        return False, f"The mail server answered with an error: {exc}"
    except (TimeoutError, socket.timeout):
        return False, f"Unreachable host: {host}:{port} did not answer in time. Check the host and port."
    except OSError as exc:
        return False, f"Unreachable host: could not connect to {host}:{port} ({exc.strerror or exc})."
    return True, f"Test email sent to {to}. If it arrived, save these settings."


def try_twilio(settings: dict, to: str, shop_name: str) -> tuple[bool, str]:
    from clientbook.messaging.channels.twilio import send_sms

    try:
        send_sms(to, f"Test from {shop_name}'s Clientbook: SMS is set up.", settings=settings)
    except PermanentError as exc:
        if exc.reason.startswith("Twilio 401"):
            return False, "Twilio 401: Twilio refused the Account SID or Auth Token. Copy both again from the Twilio console."
        return False, f"Twilio refused the test: {exc.reason}"
    except TransientError as exc:
        return False, f"Could not reach Twilio ({exc.reason})."
    except SendError as exc:
        return False, exc.reason
    return True, f"Test SMS sent to {to}. If it arrived, save these settings."
