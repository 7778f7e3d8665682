"""Outgoing mail through the configured backend: a folder of .eml files, or SMTP.

``mail.backend = "folder"`` writes each message to ``<instance>/<mail.outbox>/``
(works offline; an operator or a test reads them there). ``"smtp"`` sends with
smtplib to ``mail.smtp_host:smtp_port``, with STARTTLS when ``smtp_starttls``
and a login when ``smtp_user`` is set (password from the env var named by
``smtp_password_env``).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

SMTP_TIMEOUT = 15


class MailError(Exception):
    """The message could not be handed to the backend.

    ``bounced`` is True when the server refused every recipient with a permanent (5xx)
    reply: the address does not work, and retrying will not help. Bounces that come
    back later as a delivery report are not seen here (an admin marks those:
    ``smedir users bounced``).
    """

    def __init__(self, message: str, *, bounced: bool = False):
        super().__init__(message)
        self.bounced = bounced


def build_message(mail_cfg: dict[str, Any], to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message from the configured sender."""
    msg = EmailMessage()
    msg["From"] = mail_cfg["sender"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=mail_cfg["sender"].rpartition("@")[2] or None)
    msg.set_content(body)
    return msg


def send_mail(cfg: dict[str, Any], to: str, subject: str, body: str) -> Path | None:
    """Send one message; returns the .eml path for the folder backend, None for SMTP."""
    mail_cfg = cfg["mail"]
    msg = build_message(mail_cfg, to, subject, body)
    if mail_cfg["backend"] == "folder":
        return _write_to_folder(outbox_path(cfg), msg)
    if mail_cfg["backend"] == "smtp":
        _send_smtp(mail_cfg, msg)
        return None
    raise MailError(f"mail.backend: unknown backend {mail_cfg['backend']!r}")


def outbox_path(cfg: dict[str, Any]) -> Path:
    """The folder backend's directory (relative paths are under the instance folder)."""
    outbox = Path(cfg["mail"]["outbox"])
    return outbox if outbox.is_absolute() else Path(cfg["node"]["instance_path"]) / outbox


def read_outbox(folder: Path) -> list[EmailMessage]:
    """Every message in a folder outbox, oldest first."""
    paths = sorted(Path(folder).glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in paths]


def _write_to_folder(folder: Path, msg: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.eml"
    tmp = folder / f".{name}.tmp"
    tmp.write_bytes(msg.as_bytes(policy=policy.default))
    os.replace(tmp, folder / name)  # readers never see a half-written file
    return folder / name


def _send_smtp(mail_cfg: dict[str, Any], msg: EmailMessage) -> None:
    host, port = mail_cfg["smtp_host"], mail_cfg["smtp_port"]
    if not host:
        raise MailError("mail.smtp_host: required for the smtp backend")
    try:
        with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as smtp:
            if mail_cfg["smtp_starttls"]:
                smtp.starttls(context=ssl.create_default_context())
            if mail_cfg["smtp_user"]:
                password = os.environ.get(mail_cfg["smtp_password_env"], "")
                smtp.login(mail_cfg["smtp_user"], password)
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        bounced = bool(codes) and all(500 <= code < 600 for code in codes)
        raise MailError(f"SMTP {host}:{port}: {exc}", bounced=bounced) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP {host}:{port}: {exc}") from exc
