"""A throw-away Dovecot IMAP server for tests and the mail bench: Debian's dovecot-imapd, listening on
127.0.0.1 on a free port, one user in a passwd-file, maildir in a temporary folder, no SSL.

Run as the current user; as root, dovecot refuses to run its login and mail processes as root, so
those run as the package's unprivileged `dovenull` user and the folder is handed to it.
"""
from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "kcc@wadderveen.example.org", "imap-test-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.port = free_port()
        self.config = self.root / "dovecot.conf"

    def start(self) -> "Dovecot":
        root = self.root
        for sub in ("run", "state", "mail", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        me = pwd.getpwuid(os.getuid())
        if os.getuid() == 0:  # dovecot will not run login or mail processes as root
            worker = pwd.getpwnam("dovenull")
            for sub in ("mail", "home"):
                os.chown(root / sub, worker.pw_uid, worker.pw_gid)
            os.chmod(root, 0o755)
        else:
            worker = me
        (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        self.config.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {me.pw_name}
default_internal_group = {grp.getgrgid(os.getgid()).gr_name}
default_login_user = {worker.pw_name}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={worker.pw_uid} gid={worker.pw_gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
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
""")
        subprocess.run([DOVECOT, "-c", str(self.config)], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # it daemonises: no pipes to wait on
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with imaplib.IMAP4("127.0.0.1", self.port, timeout=2) as imap:
                    imap.login(USER, PASSWORD)
                    return self
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start: {(root / 'dovecot.log').read_text(errors='replace')}")

    def stop(self) -> None:
        subprocess.run([DOVECOT, "-c", str(self.config), "stop"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid_file = self.root / "run" / "master.pid"
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    @property
    def mailbox(self) -> dict:
        """The MAIL_MAILBOXES entry an operator would write for this server."""
        return {"name": "kcc", "host": "127.0.0.1", "port": self.port, "security": "none", "user": USER,
                "password": PASSWORD, "folder": "INBOX", "topic": None}

    def deliver(self, *messages: bytes) -> None:
        """Put messages in the INBOX the way a mail server delivers them: unseen."""
        with imaplib.IMAP4("127.0.0.1", self.port) as imap:
            imap.login(USER, PASSWORD)
            for raw in messages:
                status, answer = imap.append("INBOX", "", None, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
                if status != "OK":
                    raise RuntimeError(f"dovecot refused the message: {answer}")

    def unseen(self) -> int:
        with imaplib.IMAP4("127.0.0.1", self.port) as imap:
            imap.login(USER, PASSWORD)
            status, answer = imap.select("INBOX")
            if status != "OK":
                raise RuntimeError(f"dovecot cannot open INBOX: {answer}")
            _, found = imap.uid("SEARCH", None, "UNSEEN")
            return len((found[0] or b"").split())


def available() -> bool:
    return os.path.exists(DOVECOT)
