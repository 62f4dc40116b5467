"""The e-mail channel: a received mail becomes one frontdesk turn, answered by mail in
the same thread.

Both doors — the inbound webhook (gateway/api/routes/email.py) and IMAP polling
(gateway/mail_transport.py) — call `EmailChannel.receive`, so a mail is handled the
same way whichever way it came, and exactly once: the Message-ID is claimed in the
store first (store/email.py), the turn carries a key of it as its message id (the
frontdesk answers a repeat from the store), and the reply's outbox row has a key of it
too. A crash between any two steps is repaired by receiving the same mail again.

What goes to the frontdesk is only the new part of the mail (quotes and signature cut,
ddh/mail.py), and the frontdesk redacts it before anything is stored. Robots (bounces,
auto-replies, lists) and mails past the loop guard are recorded and never answered.
When the bot cannot answer, the frontdesk routes the mail as it routes a chat (the
agents' queue, a ticket to the municipality; a mail is never "put through", so where a
call would be transferred the open municipality gets a ticket) and says, in its e-mail
wording, that the mail was passed on and when it is answered. Routing stays in the
frontdesk (bot/turn/escalate.py); this module only carries mail.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.frontdesk import Frontdesk, TurnInput, TurnResult
from ddh import mail as mails
from ddh.logging import get_logger
from ddh.redaction import redact
from ddh.settings import Settings
from ddh.vocabulary import Channel
from store.email import EmailStore, Inbound, mail_key

log = get_logger(__name__)

FOOTER = ("Med venlig hilsen\n{team}\n\n"
          "Svaret er skrevet automatisk af en AI-assistent. Svar på denne mail, hvis du "
          "vil spørge om mere. Skriv aldrig dit CPR-nummer i en mail.")

@dataclass(frozen=True)
class Received:
    """What became of a received mail: `answered` (a turn and a queued reply),
    `duplicate` (handled before), `to_agent` (an agent has the conversation: theirs to
    answer), or `ignored` (`reason`: a robot, the loop guard, no text)."""

    conversation: str | None
    status: str
    reason: str | None = None
    action: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"conversation": self.conversation, "status": self.status,
                "reason": self.reason, "action": self.action}


class EmailChannel:
    def __init__(self, frontdesk: Frontdesk, settings: Settings,
                 clock: Callable[[], datetime] | None = None) -> None:
        if frontdesk.store is None:
            raise ValueError("the e-mail channel needs the outcome store")
        self.frontdesk = frontdesk
        self.settings = settings
        self.clock = clock
        self.store = EmailStore(frontdesk.store.sessions)
        self.addresses = {k.strip().lower(): v for k, v in settings.email_addresses.items()}
        # set by the app: shows a mail to the agent who has its conversation (any thread)
        self.to_agent: Callable[[str, str], None] | None = None
        self.own = frozenset({a for a in self.addresses if not a.startswith("@")} |
                             {a.lower() for a in (settings.smtp_from, settings.email_from)
                              if a})

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(UTC)

    def municipality_of(self, to: tuple[str, ...]) -> str | None:
        """The municipality an address written to belongs to (`DDH_EMAIL_ADDRESSES`)."""
        for address in to:
            code = self.addresses.get(address) or self.addresses.get(
                "@" + address.rsplit("@", 1)[-1])
            if code and code in self.frontdesk.registry.municipalities:
                return code
        return None

    def sender_for(self, to: tuple[str, ...]) -> str:
        """Replies come from the address the citizen wrote to, when it is ours."""
        mine = next((a for a in to if a in self.own and a in self.addresses), None)
        return mine or self.settings.email_from or self.settings.smtp_from

    # --- receiving ---------------------------------------------------------------------

    def receive(self, mail: mails.InboundMail) -> Received:
        """Record the mail, take its turn and queue the reply (blocking: run it in a
        thread). Raises when the turn could not be taken: the mail stays `received`
        and is taken again when it comes again (webhook retry, next IMAP poll)."""
        key = mail_key(mail.message_id)
        row = self.store.inbound(key)
        if row is None:
            row = self._claim(key, mail)
        if row.status != "received":
            duplicate = row.kind == "citizen" or row.reason == "own_message_id"
            return Received(row.conversation, "duplicate" if duplicate and
                            row.status == "handled" else "ignored", row.reason)
        conversation = row.conversation or uuid.uuid4().hex
        text = self._turn_text(mail, new_thread=not mail.thread_ids or
                               self.store.conversation_of(mail.thread_ids) != conversation)
        if not text:
            self.store.mark(key, "ignored", "empty")
            return Received(conversation, "ignored", "empty")
        store = self.frontdesk.store
        if store is not None and store.taken_by(conversation) is not None:
            return self._to_agent(key, conversation, text)
        municipality = mail.municipality or self.municipality_of(mail.to) or \
            self.store.municipality_of(conversation)
        result = self.frontdesk.handle(TurnInput(
            conversation, text, Channel.EMAIL, municipality, at=self.now(), message_id=key))
        handoffs = [result.handoff.id] if result.handoff and not result.replayed else []
        if handoffs and mail.attachments:
            named = [{**a.as_json(), "name": redact(a.name).text[:200]}
                     for a in mail.attachments]
            if not self.store.name_attachments(handoffs, named):
                log.warning("email.attachments_not_named", conversation=conversation)
        body = self.compose(result)
        subject = redact(mail.subject).text
        domain = self.sender_for(mail.to).rsplit("@", 1)[-1] or "ddh-frontdesk"
        self.store.answer(
            key, message_id=f"<{uuid.uuid4().hex}@{domain}>", sender=self.sender_for(mail.to),
            to=mail.reply_to, subject=mails.reply_subject(subject),
            in_reply_to=mail.message_id, references=mails.reply_references(mail), body=body,
            conversation=conversation, municipality=result.municipality)
        log.info("email.answered", conversation=conversation, action=str(result.action),
                 replayed=result.replayed)
        return Received(conversation, "answered", None, str(result.action))

    def _to_agent(self, key: str, conversation: str, text: str) -> Received:
        """An agent has the conversation (after a handoff): the mail is theirs, not the
        bot's — recorded in the transcript, shown in their console, answered by them."""
        assert self.frontdesk.store is not None
        redacted = redact(text).text
        self.frontdesk.store.record_message(conversation, "citizen", redacted)
        self.store.mark(key, "handled", "to_agent")
        if self.to_agent is not None:
            self.to_agent(conversation, redacted)
        log.info("email.to_agent", conversation=conversation)
        return Received(conversation, "to_agent", "to_agent")

    def _claim(self, key: str, mail: mails.InboundMail) -> Inbound:
        thread = self.store.conversation_of(mail.thread_ids)
        reason = mails.robot_reason(mail, self.own)
        kind = "robot" if reason else "citizen"
        if reason is None:
            since = self.store.clock() - timedelta(hours=1)  # real time, not routing
            if self.store.replies_since(mail.reply_to, since) >= \
                    self.settings.email_max_replies_per_hour:
                kind, reason = "loop", "loop_guard"
        if reason is not None:
            log.warning("email.not_answered", reason=reason, conversation=thread)
        auth = mails.authentication(mail.headers)
        return self.store.claim(
            key, message_id=mail.message_id, conversation=thread or uuid.uuid4().hex,
            kind=kind, status="ignored" if reason else "received", reason=reason,
            municipality=mail.municipality or self.municipality_of(mail.to),
            address=mail.reply_to, subject=redact(mail.subject).text[:500],
            in_reply_to=mail.in_reply_to, references=list(mail.references), auth=auth,
            attachments=[{**a.as_json(), "name": redact(a.name).text[:200]}
                         for a in mail.attachments])

    def _turn_text(self, mail: mails.InboundMail, new_thread: bool) -> str:
        """The new part of the mail; the subject leads a new thread's first mail (it
        often says what the mail is about: "Mistet sundhedskort")."""
        body = mails.new_text(mail.text)
        subject = mails.reply_subject(mail.subject).removeprefix("Re: ")
        if new_thread and subject and subject != "Din henvendelse" and \
                not mails.is_reply_subject(mail.subject) and \
                subject.lower() not in body.lower():
            body = f"{subject}\n{body}".strip()
        if mail.attachments and not body:
            body = mail.subject.strip()
        return body[: self.settings.chat_max_chars].strip()

    # --- replying ----------------------------------------------------------------------

    def compose(self, result: TurnResult) -> str:
        """The reply's text: the frontdesk's words (for a mail a person answers, that it
        was passed on and when they answer: the frontdesk's e-mail wording), then the
        footer (who answers, that an AI wrote it)."""
        registry = self.frontdesk.registry
        text = result.reply
        code = result.municipality
        team = f"{registry.municipalities[code].name} Kommune" \
            if code in registry.municipalities else "Den Digitale Hotline"
        return f"{text.strip()}\n\n{FOOTER.format(team=team)}\n"
