"""The weekly report by e-mail (`cxdash report --mail-to … --smtp HOST:PORT`, issue 21).

One message to every recipient: a short plain-text and HTML body with the week's headline —
contacts, contact rate, resolution, FCR and happy, each with its change against last week —
and the whole report (`cxdash.review.report`, always masked) attached as HTML. The body holds
numbers only, no customer data.

Sending: SMTP on HOST:PORT; STARTTLS whenever the server offers it, or TLS from the first byte
with `ssl=True` (`--smtp-ssl`, usually port 465). The server's certificate is verified against
the system's trust store, or against the CA file in `$CXDASH_SMTP_CAFILE` (a company CA, a
self-signed test server). A password (`$CXDASH_SMTP_PASSWORD`, with `--smtp-user`) is only
ever sent inside TLS: a server that offers no STARTTLS is refused before it sees it. Every
failure — refused connection, TLS, authentication, a refused sender or recipient — is a
`MailFailed` with one line that says what to do.
"""

from __future__ import annotations

import html
import os
import smtplib
import socket
import ssl
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from cxdash.review.screens import Scope, Score, ScoreLine, format_line

ENV_PASSWORD = "CXDASH_SMTP_PASSWORD"
ENV_CAFILE = "CXDASH_SMTP_CAFILE"
HEADLINE = ("contacts", "contact_rate", "resolution_rate", "fcr_rate", "happy_rate")
TIMEOUT = 30.0  # seconds for the connection and each reply


class MailFailed(Exception):
    """The report could not be sent; the message is one line for the CLI."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Server:
        """`HOST:PORT` (`[::1]:25` for an IPv6 address)."""
        host, sep, port = text.strip().rpartition(":")
        host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise MailFailed(f"--smtp {text!r}: write it as HOST:PORT, for example "
                             "mail.example.com:587")  # fmt: skip
        return cls(host, int(port))

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def address(text: str, option: str) -> str:
    """One plain e-mail address, checked (`name@domain`, no display name, no line break)."""
    name, addr = parseaddr(text)
    bad = (name or not addr or addr != text.strip() or any(c in text for c in "\r\n")
           or addr.count("@") != 1 or not all(addr.split("@")))  # fmt: skip
    if bad:
        raise MailFailed(f"{option} {text!r} is not an e-mail address (name@example.com)")
    try:
        Address(addr_spec=addr)
    except (ValueError, IndexError) as exc:
        raise MailFailed(f"{option} {text!r} is not an e-mail address ({exc})") from exc
    return addr


def default_sender() -> str:
    """`cxdash@<this machine's fully qualified name>` (what `--mail-from` replaces)."""
    host = socket.getfqdn() or socket.gethostname() or "localhost"
    return f"cxdash@{host}"


# ---- the message ----------------------------------------------------------------------------
def headline(score: Score) -> list[tuple[str, str, str]]:
    """(label, value, change against last week) for the headline metrics the data holds."""
    lines = {line.metric_id: line for line in score.offense + score.defense}
    out = []
    for metric_id in HEADLINE:
        line: ScoreLine | None = lines.get(metric_id)
        if line is None:
            continue
        if line.missing:
            out.append((line.metric.label, "—", line.missing_text))
            continue
        now, vs_last, _ = format_line(line)
        out.append((line.metric.label, now, f"{vs_last} vs last week"))
    return out


def attachment_name(scope: Scope) -> str:
    return f"weekly-review-{scope.week.iso}.html"  # as the page's download names it


def compose(
    page: str,
    score: Score,
    scope: Scope,
    *,
    sender: str,
    recipients: Sequence[str],
    source: str = "",
) -> EmailMessage:
    """The message: headline in the body (text and HTML), the report attached."""
    week = scope.week
    filters = scope.filters.caption() or "none"
    subject = f"Weekly review {week.iso} ({week.caption()})"
    if scope.filters.caption():
        subject += f" · {filters}"
    rows = headline(score)
    width = max((len(label) for label, _, _ in rows), default=0)
    partial = (f"The data ends on {scope.last_day:%-d %b %Y}, inside the week: every "
               "comparison uses the same weekdays of the earlier weeks.")  # fmt: skip
    name = attachment_name(scope)
    text = "\n".join([
        f"Weekly review {week.iso} · {week.caption()}" + (f" · {source}" if source else ""),
        f"Filters: {filters}",
        *([textwrap.fill(partial, width=76)] if scope.partial else []),
        "",
        *(f"  {label:<{width}}  {value:>9}   {change}" for label, value, change in rows),
        "",
        textwrap.fill(f"The whole review (six screens) is attached as {name}: it opens in "
                      "any browser, offline. Customer names, e-mail addresses, phone numbers "
                      "and ids are masked in it.", width=76, break_on_hyphens=False),
        "",
        "-- ",
        "cxdash report",
    ]) + "\n"  # fmt: skip
    cells = "".join(
        f'<tr><td style="padding:4px 16px 4px 0">{html.escape(label)}</td>'
        f'<td style="padding:4px 16px 4px 0;text-align:right;font-weight:600">'
        f"{html.escape(value)}</td>"
        f'<td style="padding:4px 0;color:#59636e">{html.escape(change)}</td></tr>'
        for label, value, change in rows
    )
    body = (
        '<!DOCTYPE html><html><body style="font-family:system-ui,-apple-system,\'Segoe UI\','
        'Roboto,Arial,sans-serif;color:#1f2328;font-size:15px">'
        f'<h2 style="margin:0 0 4px">Weekly review {html.escape(week.iso)}</h2>'
        f'<p style="margin:0;color:#59636e">{html.escape(week.caption())}'
        + (f" · {html.escape(source)}" if source else "")
        + f" · filters: {html.escape(filters)}</p>"
        + (f'<p style="background:#fff8c5;padding:6px 10px">{html.escape(partial)}</p>'
           if scope.partial else "")
        + f'<table style="border-collapse:collapse;margin:14px 0">{cells}</table>'
        f"<p>The whole review (six screens) is attached as <b>{html.escape(name)}</b>: it "
        "opens in any browser, offline. Customer names, e-mail addresses, phone numbers and "
        "ids are masked in it.</p></body></html>"
    )  # fmt: skip
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring="cxdash-report", domain=sender.rpartition("@")[2])
    # quoted-printable: the message stays 7-bit, for servers without 8BITMIME
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(body, subtype="html", cte="quoted-printable")
    msg.add_attachment(page.encode("utf-8"), maintype="text", subtype="html", filename=name)
    return msg


# ---- sending --------------------------------------------------------------------------------
def tls_context() -> ssl.SSLContext:
    """Verifying: the system's trust store, or $CXDASH_SMTP_CAFILE."""
    cafile = os.environ.get(ENV_CAFILE, "").strip() or None
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise MailFailed(f"${ENV_CAFILE} {cafile}: cannot read it as a CA file ({why})") from exc


def send(
    msg: EmailMessage,
    server: Server,
    *,
    user: str | None = None,
    password: str | None = None,
    implicit_tls: bool = False,
    timeout: float = TIMEOUT,
) -> None:
    """Hand the message to the server for every address in To; MailFailed (one line) when
    that fails or any recipient is refused."""
    if user and not password:
        raise MailFailed(f"--smtp-user {user} needs the password in ${ENV_PASSWORD}")
    context = tls_context()
    where = f"the mail server {server}"
    try:
        smtp: smtplib.SMTP
        if implicit_tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            tls = implicit_tls
            if not implicit_tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                tls = True
            if user:
                if not tls:
                    raise MailFailed(f"{where} offers no STARTTLS, and cxdash sends no password "
                                     "unencrypted (--smtp-ssl if the port speaks TLS from the "
                                     "start, usually 465)")  # fmt: skip
                if not smtp.has_extn("auth"):
                    raise MailFailed(f"{where} offers no login (AUTH); leave out --smtp-user")
                smtp.login(user, password or "")
            refused = smtp.send_message(msg)
    except MailFailed:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise MailFailed(f"{where} refused the user name or password for {user} "
                         f"({_reply(exc)}); check --smtp-user and ${ENV_PASSWORD}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        said = "; ".join(f"{a}: {_reply(r)}" for a, r in exc.recipients.items())
        raise MailFailed(f"{where} refused every recipient ({said})") from exc
    except smtplib.SMTPSenderRefused as exc:
        raise MailFailed(f"{where} refused the sender {exc.sender} ({_reply(exc)}); "
                         "set --mail-from to an address it accepts") from exc
    except smtplib.SMTPResponseException as exc:
        raise MailFailed(f"{where} answered {_reply(exc)}") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise MailFailed(f"{where} does not support it: {_first(exc)}") from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise MailFailed(f"{where} closed the connection ({_first(exc) or 'no reason given'})"
                         + ("; does the port speak TLS from the start (then --smtp-ssl)?"
                            if not implicit_tls else "")) from exc  # fmt: skip
    except ssl.SSLCertVerificationError as exc:
        raise MailFailed(f"TLS with {where} failed: its certificate is not trusted "
                         f"({exc.verify_message or _first(exc)}); if it is signed by your own "
                         f"CA, point ${ENV_CAFILE} at that CA's file") from exc  # fmt: skip
    except ssl.SSLError as exc:
        hint = ("; is it a plain SMTP port (then leave out --smtp-ssl)?"
                if implicit_tls else "")  # fmt: skip
        raise MailFailed(f"TLS with {where} failed ({exc.reason or _first(exc)}){hint}") from exc
    except smtplib.SMTPException as exc:
        raise MailFailed(f"{where}: {_first(exc) or type(exc).__name__}") from exc
    except TimeoutError as exc:
        raise MailFailed(f"{where} did not answer within {timeout:.0f} s") from exc
    except socket.gaierror as exc:
        raise MailFailed(f"cannot find the mail server {server.host} ({exc.strerror})") from exc
    except OSError as exc:
        raise MailFailed(f"cannot reach {where}: {exc.strerror or _first(exc)}") from exc
    if refused:
        said = "; ".join(f"{a}: {_reply(r)}" for a, r in refused.items())
        raise MailFailed(f"sent, but {where} refused some recipients ({said})")


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _reply(exc: object) -> str:
    """An SMTP reply as `535 authentication failed` on one line."""
    if isinstance(exc, smtplib.SMTPResponseException):
        code, raw = exc.smtp_code, exc.smtp_error
    elif isinstance(exc, tuple) and len(exc) == 2:
        code, raw = exc
    else:
        return _first(exc) if isinstance(exc, BaseException) else str(exc)
    said = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(f"{code} {said}".split())
