"""Real mail servers for the e-mail channel's tests, and the gateway they talk to.

- `dovecot_server()`: Dovecot (Debian's `dovecot-imapd`, installed by
  `scripts/install.sh --test`) started from a throwaway configuration in a temporary
  directory: loopback only, a non-root port, one passwd-file user and a Maildir. No
  system service is touched. Mail is delivered the way an MTA does: a file dropped in
  the Maildir's `new/`.
- `smtp_server()`: aiosmtpd (a real SMTP server on a socket) that keeps what it was
  sent; it can be stopped and started again on the same port (the SMTP server "down").
- `email_gateway()`: the gateway on a real socket with the e-mail channel configured
  against that SMTP server; `post`, `citizen_mail`, `answer_to` and `replies_to` speak
  to it as an inbound-mail service and a citizen's mail client would.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from store.outcomes import OutcomeStore, database_url
from tests.servers import free_port, serve_app

TOKEN = "inbound-secret"
AT = datetime(2026, 11, 24, 10, 15, tzinfo=ZoneInfo("Europe/Copenhagen"))  # a Tuesday

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


@dataclass
class Dovecot:
    port: int
    user: str
    password: str
    maildir: Path
    owner: tuple[int, int]

    def deliver(self, raw: bytes) -> Path:
        """Drop a mail into the inbox as a local delivery agent does (tmp/, then new/)."""
        name = f"{int(time.time())}.{uuid.uuid4().hex}.ddh-test"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, *self.owner)
        new = self.maildir / "new" / name
        tmp.rename(new)
        return new


def _mail_owner() -> tuple[int, int, str, str]:
    """The uid/gid mail is kept under and the users Dovecot's own processes run as.
    As root, Debian's `dovecot`/`dovenull` users (Dovecot refuses uid 0 for mail);
    otherwise the current user for everything (an unprivileged instance)."""
    if os.getuid() == 0:
        dovecot = pwd.getpwnam("dovecot")
        return dovecot.pw_uid, dovecot.pw_gid, "dovecot", "dovenull"
    me = pwd.getpwuid(os.getuid())
    return me.pw_uid, me.pw_gid, me.pw_name, me.pw_name


@contextlib.contextmanager
def dovecot_server() -> Iterator[Dovecot]:
    if not Path(DOVECOT).exists():
        raise RuntimeError("dovecot is not installed (scripts/install.sh --test)")
    uid, gid, internal, login = _mail_owner()
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="ddh-imap-"))  # short: unix socket paths
    try:
        root.chmod(0o755)  # Dovecot's auth process (its own user) reads the passwd file
        for d in ("run", "state", "home"):
            (root / d).mkdir()
        (root / "passwd").write_text("citizen-desk:{PLAIN}imap-secret\n")
        (root / "passwd").chmod(0o644)
        (root / "dovecot.conf").write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
instance_name = ddh-test-{port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {min(uid, 500)}
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
""")
        maildir = root / "home" / "citizen-desk" / "Maildir"
        for d in ("new", "cur", "tmp"):
            (maildir / d).mkdir(parents=True)
        for path in [root / "home", *(root / "home").rglob("*")]:
            os.chown(path, uid, gid)
        proc = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 20
            while True:
                with contextlib.suppress(OSError), socket.create_connection(
                        ("127.0.0.1", port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (root / "dovecot.log").read_text() if (root / "dovecot.log") \
                        .exists() else ""
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"dovecot did not start: {err} {log}")
                time.sleep(0.05)
            yield Dovecot(port, "citizen-desk", "imap-secret", maildir, (uid, gid))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Inbox:
    """What the SMTP server accepted; `refuse` makes it refuse that many mails."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: int = 0
    code: str = "451 4.3.0 Try again later"  # the refusal: 451 (later) or 550 (never)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return self.code
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextlib.contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def email_gateway(knowledge: Any, data: Path, smtp: SmtpServer,
                  **settings: Any) -> Iterator[tuple[str, OutcomeStore, Any]]:
    """The gateway (its own store in `data`) answering mail through `smtp`, routing at
    `AT`; `settings` override the e-mail settings below. Yields (url, store, app)."""
    config = knowledge.settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_from": "svar@ddh.example",
        "email_inbound_token": SecretStr(TOKEN),
        "email_addresses": {"kontakt@aarhus.example": "0751", "@horsens.example": "0615"},
        "email_poll_s": 0.2, "email_retry_s": 0.2, "email_max_replies_per_hour": 3,
        **settings})
    store = OutcomeStore(database_url(None, data))
    app = create_app(config, frontdesk=Frontdesk(knowledge, store), clock=lambda: AT)
    try:
        with serve_app(app) as url:
            yield url, store, app
    finally:
        store.close()


def post(url: str, mail: dict, token: str | None = TOKEN) -> httpx.Response:
    headers = {"X-DDH-Inbound-Token": token} if token is not None else {}
    return httpx.post(f"{url}/api/email/inbound", json=mail, headers=headers, timeout=30)


def citizen_mail(text: str, sender: str, **kw) -> dict:
    mail = {"message_id": f"<{uuid.uuid4().hex}@mail.example.dk>",
            "from": f"Borger <{sender}>", "to": "kontakt@aarhus.example",
            "subject": "Mistet sundhedskort", "text": text, "in_reply_to": None,
            "references": [], "headers": {}, "municipality": None}
    mail.update(kw)
    return mail


def replies_to(smtp: SmtpServer, address: str, n: int, timeout: float = 15.0) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = smtp.inbox.to(address)
        if len(got) >= n:
            return got
        time.sleep(0.05)
    raise AssertionError(f"{len(smtp.inbox.to(address))} replies to {address}, wanted {n}")


def answer_to(reply: EmailMessage, text: str, sender: str, **kw) -> dict:
    """The citizen (or a robot) answers one of our replies, as a mail client does."""
    refs = [*str(reply.get("References", "")).split(), str(reply["Message-ID"])]
    return citizen_mail(text, sender, subject=f"SV: {reply['Subject']}",
                        in_reply_to=str(reply["Message-ID"]), references=refs, **kw)
