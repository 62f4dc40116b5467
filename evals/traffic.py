"""A traffic simulator: realistic conversations through the real frontdesk.

`ddh simulate --days N` fills the outcome store the way the service would, so a new
installation shows a living dashboard and load tests have realistic traffic. Nothing
is written directly: every turn goes through `Frontdesk.handle` at its simulated time
(so opening hours, holidays and routing decide as they would), handoffs wait in the
real queue and are answered (or not) by simulated agents, and the citizen rates the
help at the end. The shape follows DDH's 2025 figures (`knowledge/data/ddh.yaml`):
- 76 % of contacts between 09 and 14, a few in the evening, little at weekends;
- municipalities weighted by the calls each sent to DDH in the first half of 2025;
- questions from the labelled sets in `evals/retrieval/` (real phrasings, typed and
  spoken), one in ten citizens asking for a person straight away;
- answer rate ~0.85 and satisfaction around 8.4 of 10, as reported;
- with `gap_share`, that share of citizens asks about a planted knowledge gap
  (`evals/gap_themes.py`: municipal matters no guide covers, in many phrasings, at
  different volumes), so the knowledge-gap report has true gaps to find. At 0 (the
  default) the traffic is the same, draw for draw, as before gaps were planted.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.frontdesk import Frontdesk, TurnInput
from ddh.vocabulary import Action, Outcome
from evals import gap_themes
from evals.retrieval import DEV_SET, HOLDOUT_SET, load_queries
from store.records import HandoffPacket

TZ = ZoneInfo("Europe/Copenhagen")
# Share of a weekday's contacts per local hour: 76 % in 09–14 (DDH 2025).
HOURS = {8: 0.08, 9: 0.15, 10: 0.17, 11: 0.16, 12: 0.14, 13: 0.14, 14: 0.06, 15: 0.04,
         16: 0.03, 17: 0.02, 18: 0.005, 19: 0.005}
WEEKEND_SHARE = 0.08  # of a weekday's volume, chat mostly
ASK_PERSON = ["jeg vil gerne tale med en medarbejder", "kan jeg få fat i et menneske",
              "jeg skal tale med en sagsbehandler om min sag"]


@dataclass
class SimulationReport:
    conversations: int = 0
    turns: int = 0
    actions: Counter | None = None
    answered_handoffs: int = 0
    abandoned_handoffs: int = 0
    planted: Counter | None = None  # planted gap questions per theme


class TrafficSimulator:
    def __init__(self, frontdesk: Frontdesk, seed: int = 1, gap_share: float = 0.0) -> None:
        if frontdesk.store is None:
            raise ValueError("the simulator needs an outcome store to fill")
        self.desk = frontdesk
        self.rng = random.Random(seed)
        self.gap_share = gap_share
        self._first: date | None = None
        self._days = 1
        self.questions = load_queries(DEV_SET) + load_queries(HOLDOUT_SET)
        registry = frontdesk.registry
        by_name = {m.name: code for code, m in registry.municipalities.items()}
        sent = [(by_name[r["name"]], r["sent"]) for r in registry.raw_ddh["calls_h1_2025"]
                if r["name"] in by_name]
        self.municipalities = [c for c, _ in sent]
        self.weights = [n for _, n in sent]
        kpi = registry.raw_ddh.get("kpi_2025", {})
        self.answer_rate = float(kpi.get("answer_rate", 0.85))
        self.satisfaction = float(kpi.get("satisfaction", 8.4))

    def run(self, days: int, per_day: int, last_day: date | None = None) -> SimulationReport:
        report = SimulationReport(actions=Counter(), planted=Counter())
        last = last_day or datetime.now(TZ).date()
        self._first, self._days = last - timedelta(days=days - 1), max(days, 1)
        for d in range(days):
            day = last - timedelta(days=days - 1 - d)
            n = per_day if day.weekday() < 5 else round(per_day * WEEKEND_SHARE)
            for at in sorted(self._arrivals(day, n)):
                self._conversation(at, report)
        return report

    def _arrivals(self, day: date, n: int) -> list[datetime]:
        hours = list(HOURS)
        picks = self.rng.choices(hours, weights=list(HOURS.values()), k=n)
        return [datetime(day.year, day.month, day.day, h, tzinfo=TZ) +
                timedelta(seconds=self.rng.uniform(0, 3600)) for h in picks]

    def _conversation(self, at: datetime, report: SimulationReport) -> None:
        rng = self.rng
        cid = uuid.UUID(int=rng.getrandbits(128)).hex
        channel = "voice" if rng.random() < 0.7 else "chat"
        municipality = rng.choices(self.municipalities, weights=self.weights)[0]
        self.desk.open(cid, channel, municipality, None, at)
        report.conversations += 1
        text = rng.choice(ASK_PERSON) if rng.random() < 0.1 else rng.choice(self.questions).q
        if self.gap_share and rng.random() < self.gap_share:  # no draw at 0: same traffic
            theme, text = gap_themes.pick(rng, self._progress(at))
            assert report.planted is not None
            report.planted[theme.id] += 1
        now = at
        result = None
        for _ in range(4):  # a conversation seldom needs more turns than this
            result = self.desk.handle(TurnInput(cid, text, channel, municipality, at=now))
            report.turns += 1
            report.actions[result.action] += 1
            now += timedelta(seconds=rng.uniform(20, 90))
            if result.action == Action.HANDOFF and result.handoff:
                self._agent(cid, result.handoff, now, report)
                return
            if result.action in (Action.TRANSFER, Action.TICKET, Action.REDIRECT, Action.END):
                break
            if result.action == Action.ANSWER:
                text = "ja tak" if rng.random() < 0.8 else "det hjalp ikke"
            elif result.asks_rating:
                text = str(self._score())
            else:  # clarify: the citizen tries once more, or gives up
                if rng.random() < 0.5:
                    break
                text = rng.choice(self.questions).q
        if result is not None and result.asks_rating:
            self.desk.handle(TurnInput(cid, str(self._score()), channel, municipality, at=now))
            report.turns += 1
        self.desk.close(cid, now)

    def _agent(self, cid: str, packet: HandoffPacket, at: datetime,
               report: SimulationReport) -> None:
        """The handoff waits; an agent answers it (at DDH's answer rate) or the citizen
        gives up."""
        wait = self.rng.expovariate(1 / 70)
        if self.rng.random() < self.answer_rate:
            outcome = Outcome.RESOLVED_AGENT if self.rng.random() < 0.8 else \
                Outcome.UNRESOLVED
            handled = self.rng.uniform(120, 600)
            self.desk.store.wrap_up(cid, packet.id, "simuleret-agent", outcome, wait,
                                    at + timedelta(seconds=wait + handled))
            report.answered_handoffs += 1
        else:
            report.abandoned_handoffs += 1
        if self.desk.handoffs is not None:
            self.desk.handoffs.leave(packet.id)
        self.desk.close(cid, at + timedelta(seconds=wait))

    def _progress(self, at: datetime) -> float:
        """How far into the simulated period `at` is, 0..1."""
        if self._first is None or self._days <= 1:
            return 0.5
        return min(1.0, max(0.0, (at.date() - self._first).days / (self._days - 1)))

    def _score(self) -> int:
        return max(1, min(10, round(self.rng.gauss(self.satisfaction, 1.6))))
