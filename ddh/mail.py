"""E-mail as text: a received mail read into one shape, robots told from people, and a
citizen's mail cut down to what they wrote now.

A mail reaches the gateway two ways — raw RFC 5322 bytes fetched by IMAP, or the JSON
an inbound-mail service posts (CONTRACT.md §5) — and both become one `InboundMail`, so
everything after (dedup, threading, the frontdesk turn, the reply) has one path.

Only the new part of a mail is the citizen's turn: replies quote the whole thread and
end with a signature (name, address, phone numbers), and feeding those to the
frontdesk would both confuse understanding and store personal data nobody needs.

Robots are never answered: bounces, auto-replies and mailing lists (RFC 3834, RFC 2369
and the headers Exchange and common mailers set); answering them is how mail loops
start. Pure stdlib and no I/O, so it sits on the ground floor (used by the gateway's
e-mail channel and by tests alike).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any

_ID = re.compile(r"<[^<>\s]+>")
# "Re:", "SV:", "AW:", "Vs:" (Danish, German, Norwegian, Finnish replies), repeated.
_REPLY_PREFIX = re.compile(r"^\s*((re|sv|aw|antw|vs|r)\s*(\[\d+\])?\s*:\s*)+", re.I)
_FORWARD_PREFIX = re.compile(r"^\s*(fw|fwd|vs|wg|tr)\s*:\s*", re.I)
# Subjects of auto-replies and delivery reports that carry no telling header.
_ROBOT_SUBJECT = re.compile(
    r"^\s*(auto(matic|matisk)?[ -]?(reply|svar|response|antwort)|autosvar|auto:|"
    r"out of (the )?office|fraværende|ikke til stede|abwesenheit|"
    r"undeliverable|undelivered mail|delivery status notification|"
    r"mail delivery (failed|failure|system)|returned mail|kunne ikke leveres)", re.I)
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")

# Where the quoted part of a reply begins (the rest of the mail is the earlier thread).
_QUOTE_HEADERS = (
    re.compile(r"^\s*-{2,}\s*(original message|oprindelig (meddelelse|besked)|"
               r"original meddelelse|forwarded message|videresendt (meddelelse|besked)|"
               r"ursprüngliche nachricht)\s*-{2,}", re.I),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above the quoted headers
    re.compile(r"^\s*(on|den|d\.|le|am|el|op)\s.{0,200}(wrote|skrev|a écrit|schrieb|"
               r"escribió|schreef)\s*:?\s*$", re.I),
)
_QUOTE_START = re.compile(r"^\s*(on|den|d\.|le|am|el|op)\s", re.I)
_QUOTE_WORD = re.compile(r"\b(wrote|skrev|a écrit|schrieb|escribió|schreef)\b", re.I)
_OUTLOOK_FROM = re.compile(r"^\s*\**(from|fra|von)\s*:\**\s", re.I)
_OUTLOOK_NEXT = re.compile(r"^\s*\**(sent|sendt|date|dato|gesendet|to|til|subject|emne)\s*:",
                           re.I)
_SIG_DASHES = re.compile(r"^-- ?$")
_SENT_FROM = re.compile(r"^\s*(sendt fra (min|mit)|sent from my|get outlook for|"
                        r"hent outlook til|skickat från)\b", re.I)
_SIGN_OFF = re.compile(
    r"^\s*(med venlig hilsen|venlig hilsen|de bedste hilsner|bedste hilsner|"
    r"mange hilsner|kærlig hilsen|hilsen|mvh\.?|vh\.?|kh\.?|kind regards|best regards|"
    r"regards|yours sincerely|sincerely|cheers)\b[ ,.!:\w-]{0,60}$", re.I)
SIGNATURE_MAX_LINES = 8  # what follows a sign-off, at most, to be taken for a signature


@dataclass(frozen=True)
class Attachment:
    """What the channel keeps of an attachment: never its content."""

    name: str
    size: int
    content_type: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "content_type": self.content_type}


@dataclass(frozen=True)
class InboundMail:
    message_id: str  # "<id@host>"
    sender: str  # the address, lower-case ("" when there is none)
    to: tuple[str, ...]  # addresses, lower-case
    subject: str
    text: str  # the body as plain text, quotes and signature still in
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    attachments: tuple[Attachment, ...] = ()
    municipality: str | None = None  # the posting service said so (webhook)
    content_type: str = "text/plain"  # the top-level type (multipart/report: a bounce)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def reply_to(self) -> str:
        """Where an answer goes: the `Reply-To` address when there is one, else the
        sender (as every mail client does)."""
        return _address(self.header("reply-to")) or self.sender

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """The earlier mails this one answers, nearest first."""
        out = [self.in_reply_to] if self.in_reply_to else []
        out += [r for r in reversed(self.references) if r not in out]
        return tuple(out)


def message_ids(value: object) -> list[str]:
    """Every `<id>` in a header value (or list of them); a bare id is given brackets."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        text = str(item).strip()
        found = _ID.findall(text)
        if not found and text and " " not in text:
            found = [f"<{text.strip('<>')}>"]
        out += [f for f in found if f not in out]
    return out


def _address(value: str | None) -> str:
    return parseaddr(value or "")[1].strip().lower()


def _addresses(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else [value or ""]
    return tuple(a.strip().lower() for _, a in getaddresses([str(i) for i in items]) if a)


def _headers(value: object) -> dict[str, str]:
    """Headers as posted: a mapping, or a list of {name, value} pairs (first one wins)."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = [(h.get("name") or h.get("Name"), h.get("value") or h.get("Value"))
                 for h in value if isinstance(h, dict)]
    else:
        pairs = []
    for name, v in pairs:
        if name:
            out.setdefault(str(name).lower(), "" if v is None else str(v))
    return out


def from_json(data: dict[str, Any]) -> InboundMail:
    """The webhook's JSON (CONTRACT.md §5); `html` is read when `text` is empty."""
    headers = _headers(data.get("headers"))
    text = str(data.get("text") or "")
    if not text.strip() and data.get("html"):
        text = html_to_text(str(data["html"]))
    in_reply_to = message_ids(data.get("in_reply_to") or headers.get("in-reply-to"))
    references = message_ids(data.get("references") or headers.get("references"))
    attachments = tuple(Attachment(str(a.get("name") or a.get("filename") or "bilag"),
                                   int(a.get("size") or 0),
                                   str(a.get("content_type") or a.get("type") or
                                       "application/octet-stream"))
                        for a in data.get("attachments") or () if isinstance(a, dict))
    for key in ("spf", "dkim"):  # services that post the checks as fields of their own
        if data.get(key) and "authentication-results" not in headers:
            headers.setdefault(f"x-ddh-{key}", str(data[key]))
    ids = message_ids(data.get("message_id"))
    return InboundMail(
        message_id=ids[0] if ids else synthetic_id(repr(sorted(data.items(), key=str))),
        sender=_address(data.get("from")), to=_addresses(data.get("to")),
        subject=str(data.get("subject") or ""), text=text,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(references), headers=headers, attachments=attachments,
        municipality=data.get("municipality") or None)


def synthetic_id(content: str | bytes) -> str:
    """A Message-ID for a mail that has none, from its content: the same mail fetched
    twice gets the same id (and is one turn)."""
    raw = content.encode() if isinstance(content, str) else content
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"


def from_bytes(raw: bytes) -> InboundMail:
    """A mail as fetched by IMAP."""
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    headers: dict[str, str] = {}
    for name, value in msg.items():
        headers.setdefault(name.lower(), str(value))
    text = ""
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, ValueError):  # an unknown charset: what can be read
            payload = body.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        text = html_to_text(content) if body.get_content_type() == "text/html" else content
    attachments = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True)
        attachments.append(Attachment(part.get_filename() or "bilag",
                                      len(payload) if isinstance(payload, bytes) else 0,
                                      part.get_content_type()))
    ids = message_ids(headers.get("message-id"))
    in_reply_to = message_ids(headers.get("in-reply-to"))
    return InboundMail(
        message_id=ids[0] if ids else synthetic_id(raw), sender=_address(headers.get("from")),
        to=_addresses([headers.get("to", ""), headers.get("cc", "")]),
        subject=headers.get("subject", ""), text=text,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(message_ids(headers.get("references"))), headers=headers,
        attachments=tuple(attachments), content_type=msg.get_content_type())


# --- robots ------------------------------------------------------------------------------


def robot_reason(mail: InboundMail, own: frozenset[str] | set[str] = frozenset()) -> str | None:
    """Why this mail came from a machine and must not be answered (None: a person).
    `own`: our own addresses (a mail from them is one of ours come back)."""
    h = mail.header
    auto = (h("auto-submitted") or "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return "auto_submitted"
    if h("x-autoreply") is not None or h("x-autorespond") is not None:
        return "autoreply"
    if (h("precedence") or "").strip().lower() in ("bulk", "junk", "list"):
        return "precedence"
    local = mail.sender.split("@")[0]
    if local in _BOUNCE_SENDERS or not mail.sender:
        return "bounce"
    return_path = h("return-path")
    if return_path is not None and return_path.strip() in ("", "<>"):
        return "bounce"
    if mail.content_type == "multipart/report":
        return "bounce"
    if h("list-id") is not None or h("list-unsubscribe") is not None:
        return "list"
    suppress = (h("x-auto-response-suppress") or "").lower()
    if any(w in suppress for w in ("all", "oof", "autoreply")):
        return "auto_response_suppress"  # Exchange marks its own automatic mails so
    if mail.sender in own or mail.reply_to in own:
        return "own"
    if _ROBOT_SUBJECT.match(mail.subject or ""):
        return "auto_subject"
    return None


def authentication(headers: dict[str, str]) -> dict[str, str]:
    """SPF, DKIM and DMARC verdicts as the receiving server recorded them."""
    out: dict[str, str] = {}
    results = headers.get("authentication-results", "")
    for method in ("spf", "dkim", "dmarc"):
        m = re.search(rf"\b{method}\s*=\s*([a-z]+)", results, re.I)
        if m:
            out[method] = m.group(1).lower()
    received_spf = headers.get("received-spf", "").strip()
    if "spf" not in out and received_spf:
        out["spf"] = received_spf.split()[0].lower()
    for method in ("spf", "dkim"):
        if method not in out and headers.get(f"x-ddh-{method}"):
            out[method] = headers[f"x-ddh-{method}"].split()[0].lower()[:20]
    return out


# --- the citizen's words -----------------------------------------------------------------


def new_text(text: str) -> str:
    """Only what the sender wrote now: quoted earlier mails and the signature cut off."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if any(p.match(line) for p in _QUOTE_HEADERS):
            break
        joined = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else ""
        if _QUOTE_START.match(line) and _QUOTE_WORD.search(joined) and \
                joined.rstrip().endswith(":") and len(joined) < 300:
            break  # "Den tir. 3. dec. 2026 kl. 10.15 skrev Navn <" wrapped over two lines
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(n) for n in lines[i + 1:i + 4]):
            break
        if _SIG_DASHES.match(line) or _SENT_FROM.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    kept = _without_sign_off(kept)
    out = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", out)


def _without_sign_off(lines: list[str]) -> list[str]:
    """Cut at the last sign-off ("Med venlig hilsen", "Mvh Jens") followed by a few short
    lines (name, address, phone): a signature, not a question."""
    for i in range(len(lines) - 1, -1, -1):
        if _SIGN_OFF.match(lines[i]) and i > 0:
            rest = [ln for ln in lines[i + 1:] if ln.strip()]
            if len(rest) <= SIGNATURE_MAX_LINES and all(len(ln) <= 80 for ln in rest):
                return lines[:i]
    return lines


def reply_subject(subject: str) -> str:
    """`Re: <subject>`, never "Re: Re:" (nor "Re: SV:")."""
    base = _REPLY_PREFIX.sub("", subject or "").strip()
    return f"Re: {base}" if base else "Re: Din henvendelse"


def is_reply_subject(subject: str) -> bool:
    return bool(_REPLY_PREFIX.match(subject or "") or _FORWARD_PREFIX.match(subject or ""))


def reply_references(mail: InboundMail, keep: int = 20) -> list[str]:
    """The `References` of a reply: the mail's own References, then its Message-ID
    (RFC 5322 §3.6.4). A long thread keeps its first id and the newest ones."""
    refs = list(mail.references)
    if not refs and mail.in_reply_to:
        refs = [mail.in_reply_to]
    refs = [r for r in refs if r != mail.message_id] + [mail.message_id]
    if len(refs) > keep:
        refs = refs[:1] + refs[-(keep - 1):]
    return refs


class _Text(HTMLParser):
    BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table", "ul", "ol"})
    SKIP = frozenset({"script", "style", "head", "blockquote"})  # blockquote: the quoted thread

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML mail (quoted thread left out)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\xa0]+", " ", text)
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip()
