"""A throwaway Dovecot IMAP server on 127.0.0.1 for the email-reply tests.

Uses the machine's own Dovecot (Debian's dovecot-imapd): a config file in a temporary folder,
one mailbox user, a free loopback port, no TLS; stopped and deleted at the end. As root the
mail files belong to the `dovecot` user (Dovecot refuses root-owned mail).
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER, PASSWORD = "shop@maison-perle.com", "imap-s3cret"


def find_dovecot() -> str | None:
    return shutil.which("dovecot") or (os.path.exists("/usr/sbin/dovecot") and "/usr/sbin/dovecot") or None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DovecotServer:
    def __init__(self, binary: str):
        self.binary = binary
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="clientbook-imap-"))
        self.config = self.root / "dovecot.conf"

    def start(self) -> "DovecotServer":
        if os.geteuid() == 0:
            owner = pwd.getpwnam("dovecot")
            internal, login = "dovecot", "dovenull"
        else:
            owner = pwd.getpwuid(os.getuid())
            internal = login = owner.pw_name
        self.root.chmod(0o711)  # Dovecot's own users pass through to the users file and the mail
        home = self.root / "home"
        home.mkdir()
        os.chown(home, owner.pw_uid, owner.pw_gid)
        users = self.root / "users"
        users.write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        users.chmod(0o644)
        self.config.write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{home}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/users
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""")
        # Dovecot forks into the background; its output goes to the log file.
        subprocess.run([self.binary, "-c", str(self.config)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("Dovecot did not start: " + self.log())

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        try:
            subprocess.run([self.binary, "-c", str(self.config), "stop"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
            deadline = time.monotonic() + 10
            while (self.root / "run" / "master.pid").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
