"""The desk in one gateway process: offers pushed to the agents whose consoles this
process holds, and the timers of the desk (handoff/offers.py has the rules).

Each process's console hub runs one dispatcher. On every change of the queues and at
least every `DeskPolicy.tick_s` it
1. heartbeats the consoles it holds (offers go only to consoles heard from lately);
2. withdraws offers nobody answered in time (any process may; one succeeds) and tells
   its agents what became of theirs — `offer_withdrawn` with `reason` "timeout" (the
   agent is set away when `DDH_QUEUE_MISSED_OFFER_AWAY`), "taken", "left", or
   "unavailable" (the agent went away, busy or to capacity meanwhile);
3. ends wrap-ups that are over (back to available, or busy at capacity);
4. reassigns the chats it carries whose citizen has waited on a silent agent, or whose
   agent's console has been gone, for `DDH_QUEUE_REASSIGN_AFTER_S`: back to the front
   of the queue, the agent told (`reassigned`), the citizen told in Danish, the audit
   log written (action `reassign`);
5. makes new offers — for any process's agents: the backend keeps one per conversation
   and one per agent — and pushes those for its own agents (`offer`);
6. tells its agents their state when it changed (`state`).
The hub is typed loosely (`Any`): gateway/console.py makes this, not the other way.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from ddh.logging import get_logger
from ddh.vocabulary import HandoffReason
from handoff.offers import Offer, at_capacity, reassign_due
from handoff.queues import Waiting

log = get_logger(__name__)
REASSIGNED = ("Din medarbejder er desværre blevet forhindret. En anden medarbejder fra "
              "Den Digitale Hotline overtager samtalen, og du er forrest i køen.")
DDH_NAME = "Den Digitale Hotline"
COALESCE_S = 0.02  # after a change, before the desk looks


@dataclass
class Step:
    """What one look at the backend found (made in a worker thread)."""

    ended: dict[str, str] = field(default_factory=dict)  # agent → why their offer ended
    deliver: list[tuple[Offer, Waiting]] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)  # this process's agents
    due: list[tuple[str, str]] = field(default_factory=list)  # (conversation, why)
    made: int = 0
    load: dict[str, int] = field(default_factory=dict)  # agent → conversations now


class DeskDispatch:
    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self.desk = hub.desk
        self.policy = self.desk.policy
        self.shown: dict[str, Offer] = {}  # agent → the offer on their screen
        self.told: dict[str, str] = {}  # agent → the state their console was told
        self.waiting_on_agent: dict[str, float] = {}  # conversation → citizen waits since
        self.held_since: dict[str, float] = {}  # conversation → first carried here
        self.counts: Counter[str] = Counter()  # offers made, shown, accepted, declined, …
        self.peak: dict[str, int] = {}  # agent → most conversations at once
        self._lock = asyncio.Lock()  # one step at a time (a decline waits for it)
        self._kicked = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    # --- hooks (on the event loop) ---------------------------------------------------

    def kick(self) -> None:
        """The queues or the agents changed: look again now."""
        self._kicked.set()

    def close(self) -> None:
        self._task.cancel()

    def accepted(self, conversation: str) -> None:
        """The citizen now waits on the agent's first words."""
        self.waiting_on_agent[conversation] = self.desk.clock()

    def citizen_wrote(self, conversation: str) -> None:
        self.waiting_on_agent.setdefault(conversation, self.desk.clock())

    def agent_replied(self, conversation: str) -> None:
        self.waiting_on_agent.pop(conversation, None)

    async def decline(self, account: Any, entry_id: str) -> None:
        """The agent declined an offer: withdrawn, and offered on."""
        async with self._lock:
            if not await run_in_threadpool(self.desk.withdraw, entry_id, account.username):
                return
            if (shown := self.shown.get(account.username)) and shown.entry == entry_id:
                del self.shown[account.username]
            self.counts["declined"] += 1
            self.hub._to_agent(account.username, {"type": "offer_withdrawn", "id": entry_id,
                                                  "reason": "declined"})
        self.kick()

    async def refused(self, account: Any) -> dict[str, Any] | None:
        """Why an accept failed, when it is the agent's capacity."""
        agent = await run_in_threadpool(self.desk.agent, account.username)
        if agent is None or not at_capacity(agent):
            return None
        return {"type": "error", "message": f"Du har {len(agent.conversations)} samtaler, "
                f"så mange som du kan have på én gang. Afslut en først."}

    def elsewhere(self, account: Any) -> list[dict[str, Any]]:
        """Citizens waiting in queues the agent cannot take yet, named for the screen."""
        if account.role != "agent":
            return []
        names = self.hub.frontdesk.registry.municipalities
        return [{**g, "name": DDH_NAME if g["queue"] == "ddh" else
                 f"{names[g['queue']].name} Kommune" if g["queue"] in names else g["queue"]}
                for g in self.desk.elsewhere(account.username)]

    # --- the loop ----------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kicked.wait(), self.policy.tick_s)
                # a burst of changes is one look; the queue views go out first
                await asyncio.sleep(COALESCE_S)
            self._kicked.clear()
            try:
                await self.sync()
            except Exception as exc:  # Redis or the store away: next round
                log.warning("desk.sync_failed", error=str(exc)[:200])
                await asyncio.sleep(self.policy.tick_s)

    async def sync(self) -> None:
        async with self._lock:
            hub = self.hub
            local = [u for u, queues in hub.sockets.items() if queues]
            carried = [(c, t.agent, t.entry.channel) for c, t in hub.taken.items()]
            now = self.desk.clock()
            for conversation, _, _ in carried:
                self.held_since.setdefault(conversation, now)
            for gone in set(self.held_since) - {c for c, _, _ in carried}:
                self.held_since.pop(gone, None)
                self.waiting_on_agent.pop(gone, None)
            step = await run_in_threadpool(self._step, local, dict(self.shown), carried,
                                           dict(self.waiting_on_agent), dict(self.held_since))
            self._apply(step)
            for conversation, why in step.due:
                await self._reassign(conversation, why)

    def _step(self, local: list[str], shown: dict[str, Offer],
              carried: list[tuple[str, str, str]], waiting_on_agent: dict[str, float],
              held_since: dict[str, float]) -> Step:
        """The backend's part, in a worker thread (Redis calls block)."""
        desk, step = self.desk, Step()
        agents = {a.id: a for a in desk.backend.agents()}
        local = [u for u in local if u in agents]  # managers and admins get no offers
        desk.touch(local)
        desk.expire_offers()
        desk.settle(local)
        current = {o.agent: o for o in desk.offers()}
        agents = {a.id: a for a in desk.backend.agents()}
        for agent_id, offer in shown.items():
            now_offer = current.get(agent_id)
            if now_offer is not None and now_offer.entry == offer.entry:
                agent = agents.get(agent_id)
                if agent_id in local and agent is not None and agent.state == "available" \
                        and not at_capacity(agent):
                    continue  # still theirs to answer
                if desk.withdraw(offer.entry, agent_id):
                    step.ended[agent_id] = "unavailable"
                continue
            step.ended[agent_id] = fate = desk.fate(offer.entry, agent_id)
            if fate == "timeout" and agent_id in local:
                desk.missed(agent_id)
        made = desk.make_offers()
        step.made = len(made)
        waiting = {w.id: w for w in desk.backend.waiting()}
        for offer in desk.offers():
            if offer.agent in local and offer.entry in waiting and \
                    (offer.agent in step.ended or offer.agent not in shown):
                step.deliver.append((offer, waiting[offer.entry]))
        agents = {a.id: a for a in desk.backend.agents()}
        step.states = {u: agents[u].state for u in local if u in agents}
        step.load = {u: len(agents[u].conversations) for u in local if u in agents}
        seen, now = desk.backend.seen(), desk.clock()
        for conversation, agent, channel in carried:
            if channel == "voice":  # put through to the agent's phone: not a chat
                continue
            # silence is judged where the agent's console is (their answers pass there);
            # a console gone, by the heartbeat every process sees
            why = reassign_due(waiting_on_agent.get(conversation) if agent in local else None,
                               seen.get(agent, held_since.get(conversation)), now, self.policy)
            if why is not None:
                step.due.append((conversation, why))
        return step

    def _apply(self, step: Step) -> None:
        """Tell the consoles (on the event loop)."""
        hub, now = self.hub, self.desk.clock()
        self.counts["made"] += step.made
        for agent, n in step.load.items():
            self.peak[agent] = max(self.peak.get(agent, 0), n)
        for agent, reason in step.ended.items():
            offer = self.shown.pop(agent, None)
            self.counts[reason] += 1
            if offer is not None and reason != "accepted":
                hub._to_agent(agent, {"type": "offer_withdrawn", "id": offer.entry,
                                      "reason": reason})
        for offer, w in step.deliver:
            self.shown[offer.agent] = offer
            self.counts["shown"] += 1
            hub._to_agent(offer.agent, {
                "type": "offer", "id": w.id, "conversation": w.conversation,
                "topic": w.topic, "municipality": w.municipality, "channel": w.channel,
                "summary": w.summary, "reason": _reason_da(w.reason_kind),
                "reason_kind": w.reason_kind, "queue": w.queue, "priority": w.priority,
                "sla": self.desk.sla(w), "waiting_s": round(now - w.enqueued_at, 1),
                "expires_in_s": round(max(0.0, offer.at + self.policy.offer_timeout_s - now),
                                      1)})
        for agent, state in step.states.items():
            if self.told.get(agent) != state:
                self.told[agent] = state
                hub._to_agent(agent, {"type": "state", "state": state})
        for agent in set(self.told) - set(step.states):
            del self.told[agent]  # gone from here: told afresh when back

    async def _reassign(self, conversation: str, why: str) -> None:
        hub = self.hub
        taken = hub.taken.get(conversation)
        self.waiting_on_agent.pop(conversation, None)
        self.held_since.pop(conversation, None)
        if taken is None:
            return
        hub.let_go(conversation)
        # the store decides (one conditional update): not when another process gave it
        # on already, or the agent wrapped up or the citizen left meanwhile
        if not await run_in_threadpool(hub.store.release_handoff, taken.entry.id,
                                       taken.agent):
            return
        await run_in_threadpool(self.desk.requeue, taken.entry, taken.agent)
        chat = await hub.logs.get(conversation)
        if chat is not None:
            await chat.publish({"type": "agent_left", "name": taken.name, "text": REASSIGNED})
        hub._to_agent(taken.agent, {"type": "reassigned", "conversation": conversation,
                                    "reason": why})
        self.counts["reassigned"] += 1
        log.info("desk.reassigned", conversation=conversation, agent=taken.agent, why=why,
                 held_s=round(time.time() - taken.accepted_at, 1))
        account = await run_in_threadpool(hub.accounts.get, taken.agent)
        if account is not None:
            await run_in_threadpool(hub.accounts.audit, account, "reassign",
                                    f"conversation:{conversation}", why)


def _reason_da(reason_kind: str | None) -> str | None:
    reason = HandoffReason.parse(reason_kind)
    return reason.label_da if reason else None
