"""The live side of a warm handoff: agents' sockets, takeovers and the citizen's chat.

Agents connect to `WS /api/agent/ws` (see gateway/api/routes/console.py). The hub
keeps their sockets, pushes the queue view whenever the queues change (the handoff
desk tells it, from whichever thread offered), and carries messages between the
agent and the citizen once the agent has accepted: the citizen's chat stops going to
the bot, the citizen is told a person from DDH has joined, and every message is
stored redacted. Wrap-up records the agent, the citizen's wait and the outcome.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from bot.frontdesk import Frontdesk
from ddh.logging import get_logger
from ddh.redaction import redact
from ddh.vocabulary import Action, Channel, HandoffReason, Outcome
from gateway import queue_view
from gateway.chat_log import ChatLogs, ConversationLog
from gateway.desk_dispatch import DeskDispatch
from handoff.accounts import Account, Accounts
from handoff.assist import suggest
from handoff.desk import HandoffDesk
from handoff.packet import build_packet
from handoff.queues import Agent, Waiting
from handoff.tickets import destinations
from store.email import EmailStore
from store.outcomes import OutcomeStore

# What an agent may record at wrap-up.
OUTCOMES = (Outcome.RESOLVED_AGENT, Outcome.TRANSFER, Outcome.TICKET, Outcome.UNRESOLVED,
            Outcome.WRONG_CALL)
log = get_logger(__name__)
REFRESH = {"type": "refresh"}
JOINED = "{name} fra Den Digitale Hotline er nu med i samtalen."
LEFT = "{name} har afsluttet samtalen. Tak fordi du skrev."
# An agent's message in an e-mail conversation, as the citizen gets it by mail.
AGENT_MAIL = "{text}\n\nMed venlig hilsen\n{name}\nDen Digitale Hotline\n"


@dataclass
class Taken:
    entry: Waiting
    agent: str  # username
    name: str
    accepted_at: float


class ConsoleHub:
    def __init__(self, desk: HandoffDesk, frontdesk: Frontdesk, logs: ChatLogs,
                 accounts: Accounts, refresh_s: float = 2.0,
                 live_calls: Callable[[], dict[str, Any]] = dict) -> None:
        self.desk = desk
        self.frontdesk = frontdesk
        self.logs = logs
        self.accounts = accounts
        self.sockets: dict[str, set[asyncio.Queue]] = {}  # username → open consoles
        self.taken: dict[str, Taken] = {}  # conversation → who has it
        self._watchers: dict[str, Any] = {}  # conversation → its live-link handler
        self._restoring: set[asyncio.Task[None]] = set()
        self.live_calls = live_calls  # conversation → the voice channel's ActiveCall
        self.version = 0  # bumped on every change; views are cached per version
        self._views: dict[tuple, queue_view.QueueView] = {}  # kind of console → its latest view
        self._deltas: dict[tuple, str | None] = {}  # (kind, version it has) → changes
        self._loop = asyncio.get_running_loop()
        desk.listeners.append(self.notify)
        # Time alone changes who may take what (skill wait, overflow), and other gateway
        # processes change a shared Redis queue: refresh every console now and then.
        self._ticker = self._loop.create_task(self._tick(refresh_s))
        self.dispatch = DeskDispatch(self)  # offers, wrap-up, reassignment

    @property
    def store(self) -> OutcomeStore:
        """The outcome store: the console records agents' messages, wrap-ups, tickets."""
        store = self.frontdesk.store
        if store is None:
            raise RuntimeError("the agent console needs an outcome store")
        return store

    # --- queue changes (any thread) --------------------------------------------------

    def notify(self) -> None:
        """The queues changed: every console re-renders its queue view."""
        self._loop.call_soon_threadsafe(self._refresh_all)

    def _refresh_all(self) -> None:
        self.version += 1
        self._deltas.clear()
        self.dispatch.kick()
        for queues in self.sockets.values():
            for queue in queues:
                queue.put_nowait(REFRESH)

    async def _tick(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            if self.sockets:
                self._refresh_all()

    def close(self) -> None:
        self._ticker.cancel()
        self.dispatch.close()

    def _watcher(self, conversation: str) -> Callable[[dict[str, Any], dict[str, Any]],
                                                       Awaitable[None]]:
        """The one handler per conversation (so that it can be unwatched again)."""
        if conversation not in self._watchers:
            async def handler(event: dict[str, Any], meta: dict[str, Any]) -> None:
                await self._from_citizen(conversation, event, meta)
            self._watchers[conversation] = handler
        return self._watchers[conversation]

    def rendered(self, account: Account) -> queue_view.QueueView:
        """The queue as this kind of console sees it (same role, queues, skills and
        municipality), rendered once per change for all of them: with 50 agents and
        200 waiting citizens this is what keeps a change on every screen fast."""
        key = _kind(account)
        view = self._views.get(key)
        if view is None or view.version != self.version:
            now = time.time()
            view = self._views[key] = queue_view.render(
                self.version, self.queue_entries(account, now),
                self.dispatch.elsewhere(account), now)
        return view

    def queue_frame(self, account: Account, had: queue_view.QueueView | None,
                    ) -> tuple[str | None, queue_view.QueueView]:
        """What to send a console that shows `had` (None: nothing yet, or it takes whole
        views): the whole view, the changes since `had`, or nothing when none."""
        view = self.rendered(account)
        if had is None:
            return view.whole, view
        if had is view:
            return None, view
        key = (*_kind(account), had.version)
        if key not in self._deltas:  # consoles of one kind are mostly at one version
            self._deltas[key] = queue_view.changes(had, view)
        return self._deltas[key], view

    # --- agents ----------------------------------------------------------------------

    def connect(self, account: Account) -> asyncio.Queue:
        """A console opened. Agents go on duty; managers and administrators watch."""
        queue: asyncio.Queue = asyncio.Queue()
        self.sockets.setdefault(account.username, set()).add(queue)
        if account.role == "agent":
            known = self.desk.agent(account.username)
            self.desk.register(Agent(account.username, account.name, account.queues,
                                     account.skills, known.state if known else "available",
                                     time.time(), account.capacity or self.desk.policy.capacity,
                                     takes_calls=bool(account.phone)))
            self.notify()
            # chats this agent took before a restart, or on another process: theirs here
            self._later(self._restore(account))
        return queue

    def _later(self, coro: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(coro)
        self._restoring.add(task)
        task.add_done_callback(self._restoring.discard)

    async def _restore(self, account: Account) -> None:
        try:
            mine = await run_in_threadpool(self.store.taken_by_agent, account.username)
            for conversation in mine:
                await self.mine(account, conversation)
            await run_in_threadpool(self.desk.hold, account.username, mine)
            await self._agent_presence(account.username, True)
        except Exception as exc:  # the store is down: restored on their next action
            log.warning("console.restore_failed", error=str(exc)[:200])

    def disconnect(self, account: Account, queue: asyncio.Queue) -> None:
        mine = self.sockets.get(account.username, set())
        mine.discard(queue)
        if not mine:
            self.sockets.pop(account.username, None)
            if self.desk.agent(account.username) is not None:
                self.desk.set_state(account.username, "away")
                self._later(self._agent_presence(account.username, False))
            self.notify()

    def _to_agent(self, username: str, event: dict[str, Any]) -> None:
        for queue in self.sockets.get(username, ()):
            queue.put_nowait(event)

    def queue_entries(self, account: Account, now: float) -> list[dict[str, Any]]:
        """Agents: what they may take now. Managers: their municipality's waiting
        citizens; administrators: everyone waiting."""
        entries = self.desk.visible_to(account.username) if account.role == "agent" else \
            self.desk.in_order()
        return [
            {"id": w.id, "conversation": w.conversation, "queue": w.queue, "topic": w.topic,
             "municipality": w.municipality, "channel": w.channel, "summary": w.summary,
             "priority": w.priority, "enqueued_at": round(w.enqueued_at, 3),
             "waiting_s": round(now - w.enqueued_at, 1),
             "reason_kind": w.reason_kind, "reason": reason_da(w.reason_kind),
             "sla": self.desk.sla(w)}
            for w in entries if account.may_read(w.municipality)]

    # --- taking over -----------------------------------------------------------------

    async def accept(self, account: Account, entry_id: str) -> dict[str, Any] | None:
        if account.role != "agent":
            return None  # managers and administrators watch; agents answer
        entry = await run_in_threadpool(self.desk.accept, account.username, entry_id,
                                        bool(account.phone))
        if entry is None:
            return await self.dispatch.refused(account)  # None: another was quicker
        self.dispatch.accepted(entry.conversation)
        if entry.channel == "voice":
            call = self.live_calls().get(entry.conversation)
            if call is not None:  # the caller hears who it is, then rings the agent
                await call.stage.connect_agent(account.name, account.phone or "")
        self.taken[entry.conversation] = Taken(entry, account.username, account.name,
                                               time.time())
        # the citizen may write on another process: their messages come over the link
        self.logs.link.watch(entry.conversation, self._watcher(entry.conversation))
        # taken, and by whom: not put back in the queue when the queue is rebuilt from
        # the store, and the agent's console may reconnect to any process
        await run_in_threadpool(self.store.take_handoff, entry.id, account.username,
                                time.time() - entry.enqueued_at)
        chat = await self.logs.get(entry.conversation)
        if chat is not None:
            chat.agent = account.username
            await chat.publish({"type": "agent_joined", "name": account.name,
                          "text": JOINED.format(name=account.name)})
        conv = await run_in_threadpool(self.store.conversation, entry.conversation)
        await run_in_threadpool(self.accounts.audit, account, "accept",
                                f"conversation:{entry.conversation}")
        return {"type": "accepted", "conversation": entry.conversation, "handoff": entry.id,
                "summary": entry.summary, "topic": entry.topic,
                "municipality": entry.municipality, "channel": entry.channel,
                "reason_kind": entry.reason_kind, "reason": reason_da(entry.reason_kind),
                "waited_s": round(time.time() - entry.enqueued_at, 1),
                "transcript": (conv or {}).get("transcript", [])}

    def to_agent_of(self, conversation: str, text: str) -> None:
        """A citizen's message, to the agent who has the conversation on this process."""
        taken = self.taken.get(conversation)
        if taken is not None:
            self.dispatch.citizen_wrote(conversation)
            self._to_agent(taken.agent, {"type": "message", "conversation": conversation,
                                         "role": "citizen", "text": text})

    def signal_agent_of(self, conversation: str, event: dict[str, Any]) -> None:
        """A citizen's sign of life (typing, online/offline), to the agent who has the
        conversation on this process."""
        taken = self.taken.get(conversation)
        if taken is not None:
            self._to_agent(taken.agent, {**event, "conversation": conversation})

    async def _from_citizen(self, conversation: str, event: dict[str, Any],
                            meta: dict[str, Any]) -> None:
        if event.get("role") != "citizen":
            return
        if meta.get("signal"):
            self.signal_agent_of(conversation, event)
        elif event.get("type") == "message":
            self.to_agent_of(conversation, event.get("text", ""))

    async def agent_signal(self, account: Account, conversation: str,
                           event: dict[str, Any]) -> bool:
        """The agent's sign of life (typing) to the citizen, on whatever process the
        citizen's page is."""
        taken = await self.mine(account, conversation)
        if taken is None or taken.agent != account.username:
            return False
        chat = await self.logs.get(conversation)
        if chat is not None:
            await chat.signal({**event, "role": "agent", "name": account.name})
        return True

    async def forget(self, account: Account, conversation: str) -> bool:
        """On the citizen's request, the agent ends the conversation and deletes its
        text now (audited with the agent's name); the citizen's page is told first."""
        taken = await self.mine(account, conversation)
        if taken is None or taken.agent != account.username:
            return False
        chat = await self.logs.get(conversation)
        if chat is not None:  # the page, on whatever process it is, is told first
            await chat.signal({"type": "forgotten", "role": "agent",
                               "message": "Din samtale er slettet."})
        await forget_chat(self.frontdesk, self.logs, conversation, account.username, None)
        self.let_go(conversation)
        await run_in_threadpool(self.desk.release, account.username, conversation)
        return True

    def let_go(self, conversation: str) -> Taken | None:
        """This process no longer carries the conversation (wrapped up, deleted,
        reassigned to another agent)."""
        self.logs.link.unwatch(conversation, self._watcher(conversation))
        self._watchers.pop(conversation, None)
        return self.taken.pop(conversation, None)

    async def _agent_presence(self, username: str, online: bool) -> None:
        """Tell the citizens of this agent's taken chats that their agent's console
        came or went (a reload, a lost connection)."""
        for conversation, taken in list(self.taken.items()):
            if taken.agent != username:
                continue
            chat = await self.logs.get(conversation)
            if chat is not None:
                await chat.signal({"type": "presence", "role": "agent", "online": online,
                                   "name": taken.name})

    async def mine(self, account: Account, conversation: str) -> Taken | None:
        """The conversation this agent has taken — here, or on another process or
        before a restart (the store knows who took it): the console reconnects to
        any process and goes on."""
        taken = self.taken.get(conversation)
        if taken is not None or account.role != "agent":
            return taken
        row = await run_in_threadpool(self.store.taken_by, conversation)
        if row is None or row["agent"] != account.username:
            return None
        entry = Waiting(id=row["id"], conversation=conversation, queue=row["target"],
                        topic=row["topic"], municipality=row["municipality"],
                        channel=row["channel"], summary=row["summary"],
                        enqueued_at=row["created_at"].timestamp(),
                        reason_kind=row["reason_kind"])
        taken = self.taken.setdefault(conversation, Taken(
            entry, account.username, account.name,
            entry.enqueued_at + (row["queue_wait_s"] or 0.0)))
        self.logs.link.watch(conversation, self._watcher(conversation))
        chat = await self.logs.get(conversation)
        if chat is not None:
            chat.agent = account.username
        return taken

    async def agent_says(self, account: Account, conversation: str, text: str) -> bool:
        taken = await self.mine(account, conversation)
        if taken is None or taken.agent != account.username:
            return False
        redacted = redact(text).text
        self.dispatch.agent_replied(conversation)
        await run_in_threadpool(self.store.record_message, conversation, "agent",
                                redacted)
        chat = await self.logs.get(conversation)
        if chat is not None:
            await chat.publish({"type": "message", "role": "agent", "name": account.name,
                          "text": redacted})
        if taken.entry.channel == Channel.EMAIL:  # the citizen reads it by mail
            await run_in_threadpool(EmailStore(self.store.sessions).reply_in_thread,
                                    conversation, AGENT_MAIL.format(text=redacted,
                                                                    name=account.name))
        return True

    async def wrap_up(self, account: Account, conversation: str, outcome: str,
                      note: str = "") -> bool:
        taken = await self.mine(account, conversation)
        if taken is None or taken.agent != account.username or outcome not in OUTCOMES:
            return False
        waited = taken.accepted_at - taken.entry.enqueued_at
        await run_in_threadpool(self.store.wrap_up, conversation, taken.entry.id,
                                account.username, Outcome(outcome), waited,
                                datetime.now(UTC))
        await run_in_threadpool(self.accounts.audit, account, "wrap_up",
                                f"conversation:{conversation}",
                                f"{outcome}: {redact(note).text}"[:1000])
        self.let_go(conversation)  # the conversation is over here
        chat = await self.logs.get(conversation)
        if chat is not None:
            await chat.publish({"type": "agent_left", "name": account.name,
                          "text": LEFT.format(name=account.name)})
        await run_in_threadpool(self.desk.release, account.username, conversation)
        return True

    async def make_ticket(self, account: Account, conversation: str, target: str,
                          note: str, phone: str | None) -> dict[str, Any] | None:
        """A ticket to a municipality (or DDH) from the agent, sent from the outbox."""
        taken = await self.mine(account, conversation)
        registry = self.frontdesk.registry
        if taken is None or taken.agent != account.username or \
                (target != "ddh" and target not in registry.municipalities):
            return None
        conv = await run_in_threadpool(self.store.conversation, conversation) or {}
        transcript = [(t["role"], t["text"]) for t in conv.get("transcript", [])]
        need = next((t for r, t in transcript if r == "citizen"), None)
        note = redact(note).text
        ticket = build_packet(registry, kind=Action.TICKET, target=target, topic=taken.entry.topic,
                              municipality=taken.entry.municipality,
                              channel=taken.entry.channel, need=need, guide_titles=[],
                              reason_da=f"oprettet af {account.name}: {note}" if note else
                              f"oprettet af {account.name}",
                              reason=f"agent {account.username}: {note}"[:500],
                              transcript=transcript, at=datetime.now(UTC),
                              # why the citizen needed a person: the handoff's reason
                              reason_kind=HandoffReason.parse(taken.entry.reason_kind))
        await run_in_threadpool(self.store.add_ticket, conversation, ticket,
                                destinations(registry, target), phone,
                                datetime.now(UTC))
        await run_in_threadpool(self.accounts.audit, account, "ticket",
                                f"conversation:{conversation}", f"to {target}")
        return {"type": "ticket", "conversation": conversation, "id": ticket.id,
                "target": target}

    async def transfer(self, account: Account, conversation: str,
                       target: str) -> dict[str, Any] | None:
        """Chat: the citizen gets the municipality's contact route (and the agent wraps
        up with outcome `transfer`)."""
        taken = await self.mine(account, conversation)
        registry = self.frontdesk.registry
        if taken is None or taken.agent != account.username or \
                target not in registry.municipalities:
            return None
        from bot.replies import transfer as transfer_reply

        text = transfer_reply(registry, target, "chat", "da")
        chat = await self.logs.get(conversation)
        if chat is not None:
            await chat.publish({"type": "message", "role": "agent", "name": account.name,
                          "text": text})
        await run_in_threadpool(self.store.record_message, conversation, "agent",
                                text)
        return {"type": "transferred", "conversation": conversation, "target": target,
                "text": text}

    def callbacks(self, account: Account) -> list[dict[str, Any]]:
        """The callback list: tickets this person may see, with delivery state."""
        return [t for t in self.store.tickets()
                if account.may_read(t["municipality"]) and
                (account.role != "manager" or t["target"] == account.municipality or
                 t["municipality"] == account.municipality)]

    def assist(self, account: Account, conversation: str, text: str,
               municipality: str | None) -> list[dict]:
        """Guides for the agent to send in one click: for the citizen's latest message,
        ranked by the conversation (its topic and the citizen's side of it) when the
        conversation is this agent's (handoff/assist.py)."""
        taken = self.taken.get(conversation)
        citizen: list[str] = []
        topic = None
        if taken is not None and taken.agent == account.username:
            conv = self.store.conversation(conversation) or {}
            citizen = [t["text"] for t in conv.get("transcript", [])
                       if t["role"] == "citizen"]
            topic = taken.entry.topic
            municipality = municipality or taken.entry.municipality
        found = suggest(self.frontdesk.knowledge.retriever, latest=text, citizen=citizen,
                        topic=topic, municipality=municipality, k=3)
        return [s.as_json() for s in found]


def _kind(account: Account) -> tuple:
    """What decides what a console sees of the queue: consoles of one kind share a view."""
    return account.role, account.queues, account.skills, account.municipality


def store_of(frontdesk: Frontdesk) -> OutcomeStore:
    if frontdesk.store is None:
        raise RuntimeError("a live chat with an agent needs an outcome store")
    return frontdesk.store


async def forget_chat(frontdesk: Frontdesk, logs: ChatLogs, conversation_id: str, actor: str,
                      clock: Callable[[], datetime] | None) -> None:
    """End a conversation and delete its text now ("Slet min samtale"): its queue
    place is given up, its figures stay (store/retention.py)."""
    from store import retention

    at = clock() if clock else datetime.now(UTC)
    await run_in_threadpool(frontdesk.close, conversation_id, at)
    if frontdesk.store is not None:
        await run_in_threadpool(retention.forget_now, frontdesk.store.sessions,
                                conversation_id, actor, at)
    logs.drop(conversation_id)


async def citizen_signal(chat: ConversationLog, event: dict[str, Any],
                         hub: ConsoleHub | None) -> None:
    """A citizen's sign of life (typing, page open or closed) while a person has the
    chat: to the agent on this process, and over the link to theirs. Before a person
    has the chat there is nobody to tell."""
    if chat.agent is None:
        return
    event = {**event, "role": "citizen"}
    if await chat.signal(event) and hub is not None:
        hub.signal_agent_of(chat.id, event)


async def citizen_says(store: OutcomeStore, chat: ConversationLog, client_id: str,
                       text: str, hub: ConsoleHub | None) -> dict[str, Any]:
    """A citizen's message while an agent has the chat: recorded (redacted), logged —
    which carries it to the agent's process — and handed to the agent if they are on
    this one."""
    redacted = redact(text).text
    await run_in_threadpool(store.record_message, chat.id, "citizen", redacted)
    (event,) = await chat.append({"type": "message", "role": "citizen", "id": client_id,
                                  "text": redacted}, client_id=client_id)
    if hub is not None:
        hub.to_agent_of(chat.id, redacted)
    return event


def reason_da(reason_kind: str | None) -> str | None:
    """A handoff reason as the agent reads it ("Årsag: …"); None when not recorded."""
    reason = HandoffReason.parse(reason_kind)
    return reason.label_da if reason else None
