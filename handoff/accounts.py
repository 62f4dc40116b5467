"""People who use the console, how they sign in, what they may see, and the audit log.

Roles (DOMAIN.md): `agent` — employed by a member municipality, works DDH shifts, has
skills (topic slugs such as `pas`, `koerekort`, `mitid`); `manager` — a municipality's
manager, sees only that municipality's conversations and figures; `editor` — a
municipality's guide editor, writes and reviews that municipality's local guides
(handoff/guide_desk.py) and reads no conversations; `admin` — DDH administration, sees
everything.

Passwords are hashed with argon2id (argon2-cffi, rehashed when its parameters
change). A login creates a server-side session: the browser holds a random token in an
HttpOnly, SameSite=Strict cookie and the store keeps only its SHA-256, with a CSRF
token for state-changing requests. Single sign-on for municipalities (OpenID Connect)
maps the identity provider's user to an account provisioned here, so roles and
municipality stay under DDH's control. Every view of a transcript is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from store.models import AuditEntry, LoginSession, User
from store.outcomes import OutcomeStore

ROLES = ("agent", "manager", "admin", "editor")
SESSION_TTL = timedelta(hours=10)  # a shift
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("not a password")  # equal work for unknown users


class AccountError(ValueError):
    """A bad account request (unknown role, missing municipality, duplicate name)."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    name: str
    role: str
    municipality: str | None
    skills: tuple[str, ...]
    disabled: bool
    phone: str | None = None  # a voice handoff is put through to this number
    capacity: int | None = None  # conversations at once (None: DDH_AGENT_CAPACITY)

    def may_read(self, municipality: str | None) -> bool:
        """Role scoping for conversations, figures and live views."""
        if self.role == "admin":
            return True
        if self.role == "manager":
            return municipality is not None and municipality == self.municipality
        # agents answer for every DDH member (their views are audited); guide editors
        # read no citizen's conversation
        return self.role != "editor"

    @property
    def queues(self) -> tuple[str, ...]:
        return ("ddh", self.municipality) if self.municipality else ("ddh",)


@dataclass(frozen=True)
class SignedIn:
    account: Account
    token: str
    csrf: str


def _account(u: User) -> Account:
    return Account(u.id, u.username, u.name, u.role, u.municipality,
                   tuple(u.skills or ()), u.disabled, u.phone, u.capacity)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, store: OutcomeStore) -> None:
        self.store = store

    # --- users -------------------------------------------------------------------------

    def add(self, username: str, name: str, role: str, municipality: str | None = None,
            skills: tuple[str, ...] = (), password: str | None = None,
            phone: str | None = None, capacity: int | None = None) -> Account:
        if role not in ROLES:
            raise AccountError(f"role must be one of {ROLES}")
        if capacity is not None and capacity < 1:
            raise AccountError("capacity: at least one conversation")
        if role == "manager" and not municipality:
            raise AccountError("a manager needs the municipality they manage")
        if role == "editor" and not municipality:
            raise AccountError("an editor needs the municipality whose guides they edit")
        if password is not None and len(password) < 12:
            raise AccountError("passwords need at least 12 characters")
        with self.store.sessions.begin() as s:
            if s.scalar(select(User.id).where(User.username == username)) is not None:
                raise AccountError(f"user {username!r} exists")
            user = User(username=username, name=name, role=role, municipality=municipality,
                        skills=list(skills), disabled=False, created_at=datetime.now(UTC),
                        phone=phone, capacity=capacity,
                        password_hash=_HASHER.hash(password) if password else None)
            s.add(user)
            s.flush()
            return _account(user)

    def get(self, username: str) -> Account | None:
        with self.store.sessions() as s:
            user = s.scalar(select(User).where(User.username == username))
            return _account(user) if user else None

    def list(self) -> list[Account]:
        with self.store.sessions() as s:
            return [_account(u) for u in s.scalars(select(User).order_by(User.username))]

    def disable(self, username: str) -> bool:
        """Disable a user and end their sessions at once."""
        with self.store.sessions.begin() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                return False
            user.disabled = True
            s.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
            return True

    # --- signing in --------------------------------------------------------------------

    def login(self, username: str, password: str) -> SignedIn | None:
        with self.store.sessions.begin() as s:
            user = s.scalar(select(User).where(User.username == username))
            stored = user.password_hash if user and not user.disabled else None
            try:
                _HASHER.verify(stored or _DUMMY, password)
            except (VerificationError, InvalidHashError):
                return None
            if stored is None or user is None:
                return None
            if _HASHER.check_needs_rehash(stored):
                user.password_hash = _HASHER.hash(password)
            return self._new_session(s, user)

    def login_sso(self, username: str) -> SignedIn | None:
        """After the identity provider vouched for `username` (OpenID Connect)."""
        with self.store.sessions.begin() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None or user.disabled:
                return None
            return self._new_session(s, user)

    def _new_session(self, s, user: User) -> SignedIn:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        s.add(LoginSession(token_hash=_token_hash(token), user_id=user.id, csrf=csrf,
                           created_at=now, expires_at=now + SESSION_TTL))
        return SignedIn(_account(user), token, csrf)

    def session(self, token: str | None) -> SignedIn | None:
        if not token:
            return None
        with self.store.sessions() as s:
            row = s.get(LoginSession, _token_hash(token))
            if row is None:
                return None
            expires = row.expires_at if row.expires_at.tzinfo else \
                row.expires_at.replace(tzinfo=UTC)
            user = s.get(User, row.user_id)
            if expires < datetime.now(UTC) or user is None or user.disabled:
                return None
            return SignedIn(_account(user), token, row.csrf)

    def logout(self, token: str) -> None:
        with self.store.sessions.begin() as s:
            s.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))

    # --- audit -------------------------------------------------------------------------

    def audit(self, account: Account, action: str, obj: str, detail: str | None = None) -> None:
        with self.store.sessions.begin() as s:
            s.add(AuditEntry(at=datetime.now(UTC), username=account.username, action=action,
                             object=obj, detail=detail))

    def audit_log(self, limit: int = 100) -> list[dict]:
        with self.store.sessions() as s:
            rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
            return [{"at": r.at, "username": r.username, "action": r.action,
                     "object": r.object, "detail": r.detail} for r in rows]
