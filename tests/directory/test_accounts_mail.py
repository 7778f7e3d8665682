"""The mail outbox: the folder backend writes .eml files; the SMTP backend talks to a real
(minimal) SMTP server on 127.0.0.1 and refuses to go on without STARTTLS when asked for it."""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes, policy

import pytest

from directory.config import load_config
from directory.mail import MailError, outbox_path, read_outbox, send_mail


class SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: EHLO, MAIL, RCPT, DATA, QUIT (no STARTTLS)."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        sender, rcpts = None, []
        while line := self.rfile.readline():
            cmd = line.decode().strip()
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-test")
                self.reply("250 8BITMIME")
            elif verb == "MAIL":
                sender = cmd.split(":", 1)[1].strip()
                self.reply("250 ok")
            elif verb == "RCPT":
                rcpts.append(cmd.split(":", 1)[1].strip())
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk
                self.server.received.append((sender, rcpts, data))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpHandler)
    server.daemon_threads = True
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def config(tmp_path, **mail):
    return load_config(
        overrides={"node": {"instance_path": str(tmp_path)}, "mail": mail}, environ={}
    )


def test_folder_backend_writes_one_eml_per_message(tmp_path):
    cfg = config(tmp_path, backend="folder", outbox="mails", sender="dir@example.org")
    path = send_mail(cfg, "sokha@example.com", "សួស្តី", "Khmer text: ខ្មែរ\n")
    assert path.parent == tmp_path / "mails" == outbox_path(cfg)
    [msg] = read_outbox(outbox_path(cfg))
    assert (msg["From"], msg["To"], msg["Subject"]) == (
        "dir@example.org",
        "sokha@example.com",
        "សួស្តី",
    )
    assert msg.get_content() == "Khmer text: ខ្មែរ\n"
    assert list((tmp_path / "mails").glob(".*")) == []  # no temporary file left behind


def test_smtp_backend_sends_to_the_server(tmp_path, smtp_server):
    port = smtp_server.server_address[1]
    cfg = config(
        tmp_path, backend="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False
    )
    assert send_mail(cfg, "owner@example.com", "Reset", "the link\n") is None
    [(sender, rcpts, data)] = smtp_server.received
    assert sender == f"<{cfg['mail']['sender']}>" and rcpts == ["<owner@example.com>"]
    msg = message_from_bytes(data, policy=policy.default)
    assert msg["Subject"] == "Reset" and msg.get_content() == "the link\r\n"  # CRLF on the wire
    assert not (tmp_path / "outbox").exists()


def test_smtp_backend_will_not_send_in_clear_when_starttls_is_required(tmp_path, smtp_server):
    port = smtp_server.server_address[1]
    cfg = config(
        tmp_path, backend="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=True
    )
    with pytest.raises(MailError, match="STARTTLS"):
        send_mail(cfg, "owner@example.com", "Reset", "the link\n")
    assert smtp_server.received == []


def test_smtp_backend_reports_an_unreachable_server(tmp_path):
    with socketserver.TCPServer(("127.0.0.1", 0), SmtpHandler) as closed:
        port = closed.server_address[1]
    cfg = config(tmp_path, backend="smtp", smtp_host="127.0.0.1", smtp_port=port)
    with pytest.raises(MailError, match=f"127.0.0.1:{port}"):
        send_mail(cfg, "owner@example.com", "Reset", "x")


def test_unknown_backend_is_an_error_naming_the_key(tmp_path):
    with pytest.raises(MailError, match="mail.backend"):
        send_mail(config(tmp_path, backend="pigeon"), "a@example.com", "s", "b")
