"""Floods cannot hurt other citizens: rate limits on opening chats and on messages.

Opening a conversation costs the store a row and a greeting; without a limit anyone
could open hundreds a second. So opening is limited per client address (except the
trusted ones: this machine's own checks and load tests) and in all,
and messages per conversation (across all its sockets, so reconnecting does not reset
it). The counters are `limits`' moving windows, in this process or — when
`DDH_REDIS_URL` is set — in Redis, so that every gateway process counts together.
A dead Redis must not lock citizens out: the limits then count in this process until
it is back (logged).

In this process the windows are `MovingWindows` below, not `limits`' MemoryStorage:
that one starts a timer thread every 10 ms while hits come in and scans every key on
each tick, which with a thousand live conversations cost more CPU than the turns'
own rate checks. Ours prunes a key when it is hit and sweeps stale keys now and then.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from limits import RateLimitItem, parse, parse_many, storage, strategies

from ddh.logging import get_logger
from ddh.settings import Settings

log = get_logger(__name__)


class MovingWindows:
    """Moving-window counters in this process: at most `limit.amount` hits in any
    `limit.get_expiry()` seconds per key (the semantics of `limits`' moving window)."""

    SWEEP_EVERY = 4096  # hits between sweeps of keys nobody has hit for a window

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._hits: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._since_sweep = 0
        self._longest = 0.0

    def hit(self, limit: RateLimitItem, *keys: str) -> bool:
        return self._count(limit, keys, take=True)

    def test(self, limit: RateLimitItem, *keys: str) -> bool:
        return self._count(limit, keys, take=False)

    def _count(self, limit: RateLimitItem, keys: tuple[str, ...], take: bool) -> bool:
        now = self._clock()
        window = float(limit.get_expiry())
        key = (limit.key_for(), *keys)
        with self._lock:
            times = self._hits.get(key)
            if times is None:
                times = self._hits[key] = deque()
            while times and times[0] <= now - window:
                times.popleft()
            allowed = len(times) < limit.amount
            if allowed and take:
                times.append(now)
                self._longest = max(self._longest, window)
                self._since_sweep += 1
                if self._since_sweep >= self.SWEEP_EVERY:
                    self._sweep(now)
            return allowed

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        stale = [k for k, t in self._hits.items() if not t or t[-1] <= now - self._longest]
        for k in stale:
            del self._hits[k]

    def reset_in(self, limit: RateLimitItem, *keys: str) -> float:
        """Seconds until the key's oldest hit in the window leaves it."""
        with self._lock:
            times = self._hits.get((limit.key_for(), *keys))
            if not times:
                return 0.0
            return max(0.0, times[0] + float(limit.get_expiry()) - self._clock())

    def __len__(self) -> int:
        return len(self._hits)


class Floodgate:
    """The gateway's rate limits (one per process, shared through Redis if set)."""

    def __init__(self, per_client: str, overall: str, per_conversation: str,
                 redis_url: str | None = None, trusted: frozenset[str] = frozenset(),
                 login_account: str = "10 per minute; 20 per hour; 50 per day",
                 login_client: str = "30 per minute; 200 per day") -> None:
        self.trusted = trusted
        self.per_client: RateLimitItem = parse(per_client)
        self.overall: RateLimitItem = parse(overall)
        self.per_conversation: RateLimitItem = parse(per_conversation)
        self.login_account = parse_many(login_account)
        self.login_client = parse_many(login_client)
        self._local = MovingWindows()
        self._shared = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(redis_url)) if redis_url else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Floodgate:
        return cls(settings.chat_open_per_client, settings.chat_open_overall,
                   f"{settings.chat_rate_limit} per {settings.chat_rate_window_s:g} seconds",
                   settings.redis_url, frozenset(settings.chat_open_trusted),
                   settings.login_limit_account, settings.login_limit_client)

    def _hit(self, limit: RateLimitItem, *keys: str, test: bool = False) -> bool:
        if self._shared is not None:
            try:
                return self._shared.test(limit, *keys) if test else \
                    self._shared.hit(limit, *keys)
            except Exception as exc:  # Redis down: count here rather than refuse everyone
                log.warning("floods.redis_unavailable", error=str(exc)[:200])
        return self._local.test(limit, *keys) if test else self._local.hit(limit, *keys)

    def may_open(self, client: str) -> bool:
        """A new conversation from `client` (its address): within both limits? A
        refused one does not use up the overall limit; a trusted address (this
        machine) counts only towards the overall one."""
        if client in self.trusted:
            return self._hit(self.overall, "open", "all")
        if not self._hit(self.per_client, "open", client, test=True):
            return False
        return self._hit(self.overall, "open", "all") and \
            self._hit(self.per_client, "open", client)

    # --- signing in to the console --------------------------------------------------
    # Wrong passwords count per account and per client address, in tiers (a minute, an
    # hour, a day): each exhausted tier is a longer wait, so guessing gets slower and
    # slower, and a locked account is refused even with the right password until the
    # wait is over. Right passwords count nothing.

    def _login_limits(self, account: str, client: str) -> list[tuple[RateLimitItem, str, str]]:
        return [*((lim, "login", f"account:{account.lower()}") for lim in self.login_account),
                *((lim, "login", f"client:{client}") for lim in self.login_client)]

    def login_wait(self, account: str, client: str) -> float:
        """Seconds before a sign-in may be tried for `account` from `client` (0: now)."""
        wait = 0.0
        for limit, *keys in self._login_limits(account, client):
            if not self._hit(limit, *keys, test=True):
                wait = max(wait, self._reset_in(limit, *keys))
        return wait

    def login_failed(self, account: str, client: str) -> None:
        for limit, *keys in self._login_limits(account, client):
            self._hit(limit, *keys)

    def _reset_in(self, limit: RateLimitItem, *keys: str) -> float:
        if self._shared is not None:
            try:
                return max(1.0, self._shared.get_window_stats(limit, *keys).reset_time
                           - time.time())
            except Exception as exc:  # Redis down: counted here meanwhile
                log.warning("floods.redis_unavailable", error=str(exc)[:200])
        return max(1.0, self._local.reset_in(limit, *keys))

    def may_send(self, conversation: str) -> bool:
        """A citizen message in `conversation`, whatever socket it came on."""
        return self._hit(self.per_conversation, "message", conversation)
