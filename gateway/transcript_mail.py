"""The citizen's copy of a chat by e-mail ("Send samtalen til min e-mail").

The citizen types an address on the chat page; the conversation as the store has it
(redacted, as everything stored is: a CPR number the citizen wrote is not in the copy)
is queued in the e-mail outbox (`EmailStore.notice`), and the channel's sender
delivers it with retries, like every other mail. Only what the citizen saw goes in:
their messages, the assistant's and the agent's — never an agent's internal note.
The address is used for this mail only: it is not written to the conversation, and
its outbox row is deleted with the rest of the mail after the retention period. A
conversation gets at most `MAX_COPIES` copies, and asking twice for the same copy
(a double click, a retry) queues one mail.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from store.email import EmailStore

MAX_COPIES = 3
TZ = ZoneInfo("Europe/Copenhagen")
# An address a person types: local part, one @, a domain with a dot. Not RFC 5322 in
# full: quoted local parts and IP literals are not what citizens write.
ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
                     r"(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                     r"[A-Za-z]{2,63}$")
SPEAKERS = {"citizen": "Du", "bot": "Digital assistent", "agent": "Medarbejder"}


class TranscriptError(ValueError):
    """Why no copy was queued (a message the page can show)."""


class TooManyCopies(TranscriptError):
    """The conversation has had its copies."""


@dataclass(frozen=True)
class Copy:
    subject: str
    body: str


def valid_address(address: str) -> str:
    address = address.strip()
    if len(address) > 254 or not ADDRESS.match(address):
        raise TranscriptError("Skriv en gyldig e-mailadresse, fx navn@eksempel.dk.")
    return address


def compose(conversation: dict[str, Any], municipality_name: str | None) -> Copy:
    """The mail: a short Danish heading, then who said what, in order."""
    started: datetime = conversation["started_at"]
    when = started.astimezone(TZ).strftime("%d.%m.%Y kl. %H.%M")
    lines = [f"{SPEAKERS[t['role']]}: {t['text'].strip()}"
             for t in conversation["transcript"] if t["role"] in SPEAKERS and t["text"]]
    if not lines:
        raise TranscriptError("Der er ingen samtale at sende endnu.")
    whom = f"{municipality_name} Kommune og Den Digitale Hotline" if municipality_name else \
        "kommunen og Den Digitale Hotline"
    body = (f"Her er din samtale med {whom} fra {when}.\n"
            "Personlige oplysninger som CPR-numre er fjernet.\n\n" + "\n\n".join(lines) +
            "\n\nDu kan ikke svare på denne e-mail. Har du brug for mere hjælp, så start en "
            "ny chat.\n")
    return Copy(f"Din samtale fra {when}", body)


def queue_copy(store: EmailStore, conversation: dict[str, Any], address: str,
               municipality_name: str | None, sender: str,
               domain: str = "ddh-frontdesk") -> bool:
    """Queue the copy; False when this very copy was queued before. `TranscriptError`
    for a bad address, an empty conversation or too many copies."""
    address = valid_address(address)
    copy = compose(conversation, municipality_name)
    turns = len(conversation["transcript"])
    asked = store.copies_of(conversation["id"])
    # the key: one mail per conversation, length and address (a retry is the same)
    key = f"transcript:{conversation['id']}:{turns}:{address.lower()}"
    if asked >= MAX_COPIES and not store.queued(key):
        raise TooManyCopies("Samtalen er allerede sendt det antal gange, der er muligt.")
    return store.notice(key, message_id=f"<{uuid.uuid4().hex}@{domain}>", sender=sender,
                        to=address, subject=copy.subject, body=copy.body,
                        municipality=conversation.get("municipality"),
                        conversation=conversation["id"], kind="transcript")
