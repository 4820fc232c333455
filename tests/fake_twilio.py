"""A small stand-in for Twilio's Messages API on 127.0.0.1, for tests.

Speaks the shape of POST /2010-04-01/Accounts/{AccountSid}/Messages.json (form fields To,
From or MessagingServiceSid, Body, StatusCallback; basic auth SID:token; JSON answers with
sid/status, errors with code/message/status). It records every accepted message, notices
duplicates by the Idempotency-Key header, and can be slowed down or made to fail per request.

It also signs webhooks the way Twilio does (its own implementation, independent of the app's),
so tests can post status callbacks and inbound texts with valid or invalid signatures.

Run alone: python -m tests.fake_twilio --delay 0.2
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "fake-twilio-auth-token"


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio documents it: HMAC-SHA1 over URL + sorted key/value pairs, base64."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


class FakeTwilio:
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN, delay: float = 0.0):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.delay = delay  # seconds to wait before answering each send (to land a kill mid-send)
        self.messages: list[dict] = []  # accepted sends, in order
        self.duplicates: list[dict] = []  # sends that repeated an Idempotency-Key
        self.failures: list = []  # queued answers: int status code, or "drop" (close without answering)
        self.received_count = 0  # requests that reached the handler (before the delay)
        self._lock = threading.Lock()
        self._by_key: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeTwilio:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def keys(self) -> list[str]:
        return [m["idempotency_key"] for m in self.messages]

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _json(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, code: int, message: str) -> None:
                self._json(status, {"code": code, "message": message, "status": status,
                                    "more_info": f"https://www.twilio.com/docs/errors/{code}"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
                expected_path = f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
                if self.path != expected_path:
                    return self._error(404, 20404, "The requested resource was not found")
                credentials = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {credentials}":
                    return self._error(401, 20003, "Authentication Error - invalid username")
                with fake._lock:
                    fake.received_count += 1
                    failure = fake.failures.pop(0) if fake.failures else None
                if failure == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                if isinstance(failure, int):
                    if failure == 429:
                        return self._error(429, 20429, "Too Many Requests")
                    return self._error(failure, 20500, "Internal Server Error")
                if not form.get("To", "").startswith("+") or not form.get("Body"):
                    return self._error(400, 21211, f"The 'To' number {form.get('To')} is not a valid phone number.")
                if not (form.get("From") or form.get("MessagingServiceSid")):
                    return self._error(400, 21603, "A 'From' phone number is required.")
                key = self.headers.get("Idempotency-Key") or uuid.uuid4().hex
                record = {"sid": "SM" + uuid.uuid4().hex, "to": form["To"], "from": form.get("From"),
                          "body": form["Body"], "status_callback": form.get("StatusCallback"),
                          "idempotency_key": key, "received_at": time.time()}
                # Recorded on arrival: a client killed while we wait has still handed it over.
                with fake._lock:
                    original = fake._by_key.get(key)
                    if original is None:
                        fake._by_key[key] = record
                        fake.messages.append(record)
                    else:
                        fake.duplicates.append(record)
                if fake.delay:
                    time.sleep(fake.delay)
                shown = original or record
                try:
                    self._json(201, {"sid": shown["sid"], "account_sid": fake.account_sid, "to": shown["to"],
                                     "from": shown["from"], "body": shown["body"], "status": "queued",
                                     "num_segments": "1", "direction": "outbound-api"})
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    # ---- webhooks, signed like Twilio signs them ---------------------------------------------

    def signed(self, url: str, params: dict[str, str], token: str | None = None) -> dict[str, str]:
        """Headers for posting `params` to `url` as Twilio would."""
        return {"X-Twilio-Signature": twilio_signature(token or self.auth_token, url, params)}

    def inbound_params(self, from_number: str, body: str, to: str = "+33100000000") -> dict[str, str]:
        return {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": self.account_sid, "From": from_number,
                "To": to, "Body": body, "NumMedia": "0"}

    @staticmethod
    def form_body(params: dict[str, str]) -> str:
        return urlencode(params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    fake = FakeTwilio(delay=args.delay).start()
    print(f"Fake Twilio on {fake.base_url} (account {fake.account_sid}, token {fake.auth_token})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
