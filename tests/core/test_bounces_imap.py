"""The bounce mailbox over IMAP: a real IMAP server (pymap, a Python IMAP4rev1 server
that stores mail as Maildir++, run as its own process on loopback) holds the reports;
`process_bounces` logs in, reads them, marks the refused invitation and moves every
message to `Processed` or `Kept` — with MOVE, and with COPY + EXPUNGE as on servers
without MOVE. A second run finds nothing to do."""

from __future__ import annotations

import imaplib
import socket
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail as outbox
from django.core.management import call_command
from django.core.management.base import CommandError

from klynge.accounts.models import Invitation
from klynge.core import bounces
from tests.core.test_bounces import report, sent_invitation
from tests.factories import build_cluster

pytest.importorskip("pymap", reason="the IMAP test server is a dev dependency (pymap)")
hashing = pytest.importorskip("pysasl.hashing")

pytestmark = pytest.mark.django_db

USER, PASSWORD = "bounces", "hemmelig-postkasse"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def imap_server(tmp_path, settings):
    """pymap serving one user whose mailbox is `tmp_path/imap/bounces` (Maildir++)."""
    base = tmp_path / "imap"
    base.mkdir()
    (base / "pymap-etc-passwd").write_text(f"{USER}:x::::bounces:\n")
    secret = hashing.BuiltinHash(rounds=1000).hash(PASSWORD)
    (base / "pymap-etc-shadow").write_text(f"{USER}:{secret}::::::\n")
    port = _free_port()
    pymap = Path(sys.executable).with_name("pymap")
    server = subprocess.Popen(
        [str(pymap), "--host", "127.0.0.1", "--port", str(port), "--no-tls", "maildir", str(base)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pymap did not start: {server.stderr.read()!r}") from None
                time.sleep(0.1)
        settings.KLYNGE_BOUNCE_MAILDIR = ""
        settings.KLYNGE_BOUNCE_IMAP_HOST = "127.0.0.1"
        settings.KLYNGE_BOUNCE_IMAP_PORT = port
        settings.KLYNGE_BOUNCE_IMAP_SECURITY = "none"  # loopback only
        settings.KLYNGE_BOUNCE_IMAP_USER = USER
        settings.KLYNGE_BOUNCE_IMAP_PASSWORD = PASSWORD
        settings.KLYNGE_BOUNCE_IMAP_FOLDER = "INBOX"
        yield port
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


def client(port: int) -> imaplib.IMAP4:
    imap = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    imap.login(USER, PASSWORD)
    return imap


def count(imap: imaplib.IMAP4, folder: str) -> int:
    typ, data = imap.select(f'"{folder}"', readonly=True)
    assert typ == "OK", data
    return int(data[0])


def run() -> str:
    out = StringIO()
    call_command("process_bounces", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("server_moves", [True, False], ids=["MOVE", "COPY+EXPUNGE"])
def test_reports_read_over_imap(imap_server, server_moves, monkeypatch):
    if not server_moves:  # as a server without RFC 6851's MOVE
        capabilities = bounces._capabilities
        monkeypatch.setattr(bounces, "_capabilities", lambda imap: capabilities(imap) - {"MOVE"})
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    refused = sent_invitation(setup, "ny.laege@koege.test")
    slow = sent_invitation(setup, "langsom@koege.test")
    envelope = {m.to[0]: m.from_email for m in outbox.outbox}

    imap = client(imap_server)
    for raw in [
        report(
            "postfix_user_unknown.eml",
            return_path=envelope["ny.laege@koege.test"],
            recipient="ny.laege@koege.test",
        ),
        report(
            "postfix_delayed.eml",
            return_path=envelope["langsom@koege.test"],
            recipient="langsom@koege.test",
        ),
        report(
            "out_of_office.eml",
            return_path=envelope["langsom@koege.test"],
            recipient="langsom@koege.test",
        ),
    ]:
        typ, data = imap.append("INBOX", None, None, raw.replace(b"\n", b"\r\n"))
        assert typ == "OK", data
    imap.logout()

    out = run()
    assert "3 read; refused 1, temporary 1, other 0, unmatched 0, unrecognised 1, error 0" in out
    refused.refresh_from_db()
    slow.refresh_from_db()
    assert refused.mail_status == Invitation.Mail.BOUNCED and "5.1.1" in refused.last_error
    assert slow.mail_status == Invitation.Mail.SENT

    imap = client(imap_server)
    assert (count(imap, "INBOX"), count(imap, "Processed"), count(imap, "Kept")) == (0, 2, 1)
    imap.logout()
    assert "0 read" in run()


def test_a_mailbox_that_refuses_the_login_fails_the_command(imap_server, settings):
    settings.KLYNGE_BOUNCE_IMAP_PASSWORD = "forkert"
    with pytest.raises(CommandError, match="IMAP"):
        call_command("process_bounces")
