"""`cxdash report --mail-to … --smtp HOST:PORT` against a real SMTP server on 127.0.0.1
(aiosmtpd, in a thread of the test): the message arrives once for every recipient with the
week's headline in its body and the masked report attached; STARTTLS and implicit TLS are
verified against a CA the test makes ($CXDASH_SMTP_CAFILE), a login works and a bad one does
not; a refused connection, a bad password or a certificate nobody vouches for each exit 2 with
one line, and the report is still written when --out was given."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cxdash import store
from cxdash.cli import main
from cxdash.formatting import format_value
from cxdash.metrics.catalogue import METRICS_BY_ID
from cxdash.metrics.request import MetricRequest, Period
from cxdash.metrics.runner import totals
from cxdash.review import report
from cxdash.review.mail import HEADLINE, Server, address
from cxdash.review.weeks import Week, last_finished
from tests.storebuilder import build_store

W26 = Period(dt.date(2026, 6, 22), dt.date(2026, 6, 28))
USER, PASSWORD = "reviewer", "s3cret-Pass"
TO = ("lead@cx.example", "ops@cx.example")
ANY_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)


# ---- a real SMTP server ---------------------------------------------------------------------
@dataclass
class Inbox:
    """What the server received, and how: one entry per DATA."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append({
            "from": envelope.mail_from, "to": list(envelope.rcpt_tos),
            "data": bytes(envelope.original_content or envelope.content),
            "tls": server.transport.get_extra_info("cipher") is not None,
            "login": session.auth_data.login if session.authenticated else None,
        })  # fmt: skip
        return "250 OK"

    def one(self) -> tuple[dict[str, Any], EmailMessage]:
        assert len(self.messages) == 1, self.messages
        got = self.messages[0]
        msg = email.message_from_bytes(got["data"], _class=EmailMessage,
                                       policy=email.policy.default)  # fmt: skip
        return got, msg


def _login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = (isinstance(data, LoginPassword) and data.login == USER.encode()
          and data.password == PASSWORD.encode())  # fmt: skip
    return AuthResult(success=ok, handled=False, auth_data=data)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Certs:
    ca: Path  # the test's own CA, for $CXDASH_SMTP_CAFILE
    chain: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.chain, self.key)
        return context


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A CA and a certificate for localhost / 127.0.0.1 signed by it (cryptography)."""
    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cxdash test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=7))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))  # fmt: skip
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "chain.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    (folder / "key.pem").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return Certs(folder / "ca.pem", folder / "chain.pem", folder / "key.pem")


@dataclass
class Smtp:
    inbox: Inbox
    address: str  # HOST:PORT


def _serve(**kwargs: Any) -> Iterator[Smtp]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield Smtp(inbox, f"127.0.0.1:{port}")
    finally:
        controller.stop()


@pytest.fixture()
def plain() -> Iterator[Smtp]:
    """No TLS, no login: a relay inside the company network."""
    yield from _serve()


@pytest.fixture()
def starttls(certs: Certs) -> Iterator[Smtp]:
    """STARTTLS required before anything, then a login (port 587 style)."""
    yield from _serve(tls_context=certs.server_context(), require_starttls=True,
                      authenticator=_login, auth_required=True)  # fmt: skip


@pytest.fixture()
def implicit_tls(certs: Certs) -> Iterator[Smtp]:
    """TLS from the first byte, then a login (port 465 style)."""
    # aiosmtpd offers AUTH under implicit TLS only when told TLS is not required (it counts
    # STARTTLS alone), and warns about it: the test that uses this fixture ignores the warning
    yield from _serve(ssl_context=certs.server_context(), authenticator=_login,
                      auth_required=True, auth_require_tls=False)  # fmt: skip


@pytest.fixture(autouse=True)
def _no_smtp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CXDASH_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("CXDASH_SMTP_CAFILE", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def mail_args(db: Path, smtp: Smtp, *extra: str) -> list[str]:
    return ["report", "--week", "2026-W26", "--db", str(db), "--mail-to", TO[0], "--mail-to",
            TO[1], "--smtp", smtp.address, *extra]  # fmt: skip


def decoded(msg: EmailMessage) -> str:
    """Every header and every part of the message as text, transfer encodings undone."""
    parts = [str(msg.items())]
    for part in msg.walk():
        if not part.is_multipart():
            parts.append(str(part.items()))
            parts.append(part.get_payload(decode=True).decode("utf-8"))
    return "\n".join(parts)


def one_error_line(err: str) -> None:
    assert err.count("\n") == 1 and err.startswith("cxdash: error: "), err
    assert "Traceback" not in err


# ---- the message ----------------------------------------------------------------------------
def test_the_report_arrives_with_the_headline_and_attached(
    demo_store: Path, plain: Smtp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "review.html"
    code, text, err = run(capsys, *mail_args(demo_store, plain, "--out", str(out),
                                             "--mail-from", "cx-reports@cx.example"))
    assert (code, err) == (0, "")
    assert f"mailed weekly review 2026-W26 to {TO[0]}, {TO[1]} via {plain.address}" in text
    got, msg = plain.inbox.one()
    assert got["from"] == "cx-reports@cx.example" and got["to"] == list(TO)
    assert not got["tls"] and got["login"] is None  # this server offers neither
    assert msg["From"] == "cx-reports@cx.example"
    assert [a.addr_spec for a in msg["To"].addresses] == list(TO)
    assert msg["Subject"] == "Weekly review 2026-W26 (22 – 28 Jun 2026)"
    assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
    assert re.fullmatch(r"<[^@<>\s]+@cx\.example>", msg["Message-ID"])

    con = store.open_read(demo_store)
    now = totals(con, MetricRequest(W26, metrics=HEADLINE))
    before = totals(con, MetricRequest(Period(dt.date(2026, 6, 15), dt.date(2026, 6, 21)),
                                       metrics=("contacts",)))  # fmt: skip
    con.close()
    plain_body = msg.get_body(("plain",))
    html_body = msg.get_body(("html",))
    assert plain_body is not None and html_body is not None
    words, page = plain_body.get_content(), html_body.get_content()
    for metric_id in HEADLINE:
        shown = format_value(METRICS_BY_ID[metric_id], now[metric_id])
        label = METRICS_BY_ID[metric_id].label
        line = next(li for li in words.splitlines() if li.strip().startswith(label))
        assert shown in line and "vs last week" in line, (metric_id, line)
        assert f"{shown}</td>" in page, metric_id
    change = int(now["contacts"]) - int(before["contacts"])
    assert f"{change:+,}" in words  # contacts against last week

    attached = list(msg.iter_attachments())
    assert len(attached) == 1
    assert attached[0].get_filename() == "weekly-review-2026-W26.html"
    assert attached[0].get_content_type() == "text/html"
    assert attached[0].get_payload(decode=True) == out.read_bytes()  # the report, whole
    # masked: the week's comment holding an address shows [email]; no address in the whole
    # message but the sender's and the recipients'
    everything = decoded(msg)
    assert "[email]" in everything
    found = set(ANY_EMAIL.findall(everything)) - {msg["Message-ID"].strip("<>")}
    assert found <= {"cx-reports@cx.example", *TO}


def test_mail_without_out_writes_no_file_and_the_sender_defaults(
    demo_store: Path, plain: Smtp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    code, text, err = run(capsys, "report", "--week", "last", "--db", str(demo_store),
                          "--mail-to", TO[0], "--smtp", plain.address)  # fmt: skip
    assert (code, err) == (0, "") and text.startswith("mailed weekly review 2026-W26 to ")
    assert list(tmp_path.iterdir()) == []
    got, msg = plain.inbox.one()
    assert got["to"] == [TO[0]] and msg["To"] == TO[0]
    assert msg["From"] == f"cxdash@{socket.getfqdn()}" == got["from"]


def _comment_rows() -> list[dict[str, object]]:
    """Four weeks to 14 Jun 2026 (W21–W24); W24's comments hold a name, a phone number and
    an address, from an unhappy and a happy customer."""
    rows: list[dict[str, object]] = []
    start = dt.datetime(2026, 5, 18, 9)
    for i in range(28 * 3):
        t = start + dt.timedelta(hours=8 * i)
        rows.append({"contact_id": f"c{i}", "created_at": t, "customer_id": f"k{i % 40}",
                     "channel": "email", "reason": "Late delivery", "agent": "Ann Petersen",
                     "first_response_at": t + dt.timedelta(hours=1),
                     "resolved_at": t + dt.timedelta(hours=3)})  # fmt: skip
    rows[-4].update(csat=1, comment="My name is Julia Fischer, call me on +49 30 1234567 or "
                                    "write to julia.fischer@example.com, order 482133!")
    rows[-3].update(csat=5, comment="Ann Petersen sorted it in minutes. Regards, Tom Becker")
    return rows


def test_masking_holds_everywhere_in_the_message(
    tmp_path: Path, plain: Smtp, capsys: pytest.CaptureFixture[str]
) -> None:
    db = build_store(tmp_path / "comments.duckdb", _comment_rows())
    code, _, err = run(capsys, "report", "--week", "2026-W24", "--db", str(db), "--mail-to",
                       TO[0], "--smtp", plain.address, "--mail-from", "cx@cx.example")
    assert (code, err) == (0, "")
    got, msg = plain.inbox.one()
    everything = decoded(msg) + got["data"].decode("ascii")  # 7-bit clean, too
    for secret in ("Julia", "Fischer", "1234567", "julia.fischer", "482133", "Petersen",
                   "Becker", "Tom "):  # fmt: skip
        assert secret not in everything, secret
    page = next(msg.iter_attachments()).get_payload(decode=True).decode()
    assert all(token in page for token in ("[name]", "[phone]", "[email]", "[id]"))


# ---- TLS and login --------------------------------------------------------------------------
def test_starttls_and_login(demo_store: Path, starttls: Smtp, certs: Certs,
                            monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # fmt: skip
    monkeypatch.setenv("CXDASH_SMTP_CAFILE", str(certs.ca))
    monkeypatch.setenv("CXDASH_SMTP_PASSWORD", PASSWORD)
    code, _, err = run(capsys, *mail_args(demo_store, starttls, "--smtp-user", USER))
    assert (code, err) == (0, "")
    got, _ = starttls.inbox.one()
    assert got["tls"] and got["login"] == USER.encode()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_and_login(demo_store: Path, implicit_tls: Smtp, certs: Certs,
                                monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # fmt: skip
    monkeypatch.setenv("CXDASH_SMTP_CAFILE", str(certs.ca))
    monkeypatch.setenv("CXDASH_SMTP_PASSWORD", PASSWORD)
    code, _, err = run(capsys, *mail_args(demo_store, implicit_tls, "--smtp-user", USER,
                                          "--smtp-ssl"))  # fmt: skip
    assert (code, err) == (0, "")
    got, _ = implicit_tls.inbox.one()
    assert got["tls"] and got["login"] == USER.encode()


# ---- failures: one line, exit 2, the report still written -----------------------------------
def test_refused_connection(demo_store: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "review.html"
    closed = f"127.0.0.1:{_free_port()}"
    code, text, err = run(capsys, "report", "--week", "2026-W26", "--db", str(demo_store),
                          "--out", str(out), "--mail-to", TO[0], "--smtp", closed)
    assert code == 2
    one_error_line(err)
    assert f"cannot reach the mail server {closed}: Connection refused" in err
    assert f"the report is written to {out}" in err
    assert out.stat().st_size > 10_000 and text.startswith(f"wrote {out}")


def test_bad_password(demo_store: Path, starttls: Smtp, certs: Certs, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # fmt: skip
    monkeypatch.setenv("CXDASH_SMTP_CAFILE", str(certs.ca))
    monkeypatch.setenv("CXDASH_SMTP_PASSWORD", "Wr0ng-Secret")
    out = tmp_path / "review.html"
    code, _, err = run(capsys, *mail_args(demo_store, starttls, "--smtp-user", USER,
                                          "--out", str(out)))  # fmt: skip
    assert code == 2
    one_error_line(err)
    assert "refused the user name or password for reviewer (535" in err
    assert "Wr0ng-Secret" not in err
    assert out.exists() and starttls.inbox.messages == []


def test_untrusted_certificate(demo_store: Path, starttls: Smtp, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # fmt: skip
    """No $CXDASH_SMTP_CAFILE: the system's trust store does not know the test CA."""
    monkeypatch.setenv("CXDASH_SMTP_PASSWORD", PASSWORD)
    out = tmp_path / "review.html"
    code, _, err = run(capsys, *mail_args(demo_store, starttls, "--smtp-user", USER,
                                          "--out", str(out)))  # fmt: skip
    assert code == 2
    one_error_line(err)
    assert "certificate is not trusted" in err and "CXDASH_SMTP_CAFILE" in err
    assert out.exists() and starttls.inbox.messages == []


def test_tls_on_a_plain_port(demo_store: Path, plain: Smtp, certs: Certs,
                             monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # fmt: skip
    monkeypatch.setenv("CXDASH_SMTP_CAFILE", str(certs.ca))
    code, _, err = run(capsys, *mail_args(demo_store, plain, "--smtp-ssl"))
    assert code == 2
    one_error_line(err)
    assert f"TLS with the mail server {plain.address} failed" in err and "--smtp-ssl" in err
    assert plain.inbox.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_no_password_without_tls(demo_store: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys) -> None:  # fmt: skip
    """A server offering login but no STARTTLS never sees the password."""
    monkeypatch.setenv("CXDASH_SMTP_PASSWORD", PASSWORD)
    seen: list[Any] = []

    def spy(*args: Any) -> AuthResult:
        seen.append(args)
        return _login(*args)

    for smtp in _serve(authenticator=spy, auth_require_tls=False):
        code, _, err = run(capsys, *mail_args(demo_store, smtp, "--smtp-user", USER))
        assert code == 2
        one_error_line(err)
        assert "offers no STARTTLS, and cxdash sends no password unencrypted" in err
        assert seen == [] and smtp.inbox.messages == []


class Picky(Inbox):
    """Knows only the first recipient."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:  # fmt: skip
        if address != TO[0]:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_recipient_is_named(demo_store: Path, capsys) -> None:
    picky = Picky()
    port = _free_port()
    controller = Controller(picky, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        code, _, err = run(capsys, *mail_args(demo_store, Smtp(picky, f"127.0.0.1:{port}")))
    finally:
        controller.stop()
    assert code == 2
    one_error_line(err)
    assert f"sent, but the mail server 127.0.0.1:{port} refused some recipients ({TO[1]}: " \
           "550 5.1.1 no such mailbox)" in err
    got, _ = picky.one()
    assert got["to"] == [TO[0]]


# ---- bad options: one line before anything is read or sent ----------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "give --out FILE.html, --mail-to ADDR"),
        (["--mail-to", "a@b.example"], "--mail-to needs --smtp HOST:PORT"),
        (["--out", "r.html", "--smtp", "h:25"], "--smtp: only with --mail-to ADDR"),
        (["--mail-to", "not an address", "--smtp", "h:25"], "--mail-to 'not an address' is not"),
        (["--mail-to", "a@b.example\r\nBcc: x@y.example", "--smtp", "h:25"], "is not an e-mail"),
        (["--mail-to", "Ann <a@b.example>", "--smtp", "h:25"], "is not an e-mail address"),
        (["--mail-to", "a@b.example", "--smtp", "h"], "--smtp 'h': write it as HOST:PORT"),
        (["--mail-to", "a@b.example", "--smtp", "h:99999"], "write it as HOST:PORT"),
        (["--mail-to", "a@b.example", "--smtp", "h:25", "--smtp-user", "u"],
         "--smtp-user u needs its password in $CXDASH_SMTP_PASSWORD"),
        (["--mail-to", "a@b.example", "--smtp", "h:25", "--mail-from", "me"],
         "--mail-from 'me' is not an e-mail address"),
    ],
)  # fmt: skip
def test_bad_mail_options(demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys, args: list[str], needle: str) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    code, text, err = run(capsys, "report", "--week", "2026-W26", "--db", str(demo_store),
                          *args)  # fmt: skip
    assert code == 2 and text == ""
    one_error_line(err)
    assert needle in err
    assert list(tmp_path.iterdir()) == []


def test_server_and_address_parsing() -> None:
    assert Server.parse("mail.example.com:587") == Server("mail.example.com", 587)
    assert Server.parse("[::1]:25") == Server("::1", 25) and str(Server("::1", 25)) == "[::1]:25"
    assert address(" a.b+c@x.example ", "--mail-to") == "a.b+c@x.example"


# ---- --week last ----------------------------------------------------------------------------
def test_last_finished_week() -> None:
    weeks = [Week(2026, n) for n in (27, 26, 25)]  # newest first
    sunday_w26 = dt.date(2026, 6, 28)
    # the data covers W26 to its Sunday; Monday morning: W26
    assert last_finished(weeks, sunday_w26, dt.date(2026, 6, 29)) == Week(2026, 26)
    # on that Sunday itself W26 is not over yet
    assert last_finished(weeks, sunday_w26, sunday_w26) == Week(2026, 25)
    # the data ends on a Tuesday: W27 is not finished in the data, W26 is
    assert last_finished(weeks, dt.date(2026, 6, 30), dt.date(2026, 7, 20)) == Week(2026, 26)
    assert last_finished([Week(2026, 27)], dt.date(2026, 6, 30), dt.date(2026, 7, 20)) is None


def test_last_week_on_the_store_and_in_its_time_zone(demo_store: Path) -> None:
    con = store.open_read(demo_store)  # data to Tue 30 Jun 2026
    try:
        assert report.last_week(con) == Week(2026, 26)
        assert report.last_week(con, dt.datetime(2026, 6, 29, 0, 30)) == Week(2026, 26)
        with pytest.raises(Exception, match="no finished week"):
            report.last_week(con, dt.datetime(2025, 7, 1))
    finally:
        con.close()


def test_week_last_in_the_cli(demo_store: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "r.html"
    code, text, _ = run(capsys, "report", "--week", "last", "--db", str(demo_store), "--out",
                        str(out))  # fmt: skip
    assert code == 0 and text.startswith(f"wrote {out}: weekly review 2026-W26,")
