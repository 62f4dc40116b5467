"""Canned replies (standardsvar): shared answers agents insert in the console with "/"
and a shortcut (store/canned.py keeps them).

`GET /api/canned`: the replies a signed-in person may use or keep — agents and
administrators all (an agent answers for every DDH member, and picks those of the
conversation's queue), a manager DDH's and their municipality's; guide editors none
(403). `POST /api/canned` {queue, shortcut, title, text}, `PATCH /api/canned/{id}`,
`DELETE /api/canned/{id}`: a manager keeps their own municipality's queue (another
queue's reply answers 404, as one that does not exist; making one there is 403), an
administrator any queue, DDH's ("ddh") included; agents may not (403). Changes need the
session's CSRF token and are audited (`canned_add`, `canned_edit`, `canned_delete`).
`{agent}` in a reply's text is the agent's first name, filled in by the console.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gateway.api.deps import AccountsDep, RegistryDep, SignedInDep, StoreDep
from handoff.accounts import Account
from store import canned
from store.canned import CannedError
from store.outcomes import OutcomeStore

router = APIRouter(prefix="/canned", tags=["agent"])
SHORTCUT = r"^[a-z0-9æøå][a-z0-9æøå_-]{0,29}$"


class NewReply(BaseModel):
    queue: str = Field(pattern=r"^(ddh|\d{4})$", description='"ddh" or a kommunekode')
    shortcut: str = Field(pattern=SHORTCUT, description='typed after "/" in the console')
    title: str = Field(min_length=2, max_length=120)
    text: str = Field(min_length=2, max_length=2000)


class ReplyChange(BaseModel):
    shortcut: str | None = Field(None, pattern=SHORTCUT)
    title: str | None = Field(None, min_length=2, max_length=120)
    text: str | None = Field(None, min_length=2, max_length=2000)


async def keeper(who: SignedInDep) -> Account:
    """Who may change canned replies: managers and administrators."""
    if who.account.role not in ("admin", "manager"):
        raise HTTPException(status_code=403, detail="for managers and administrators")
    return who.account


Keeper = Annotated[Account, Depends(keeper)]


def _keeps(account: Account, queue: str) -> bool:
    return account.role == "admin" or (account.role == "manager" and
                                       queue == account.municipality)


async def _own(account: Account, store: OutcomeStore, reply_id: int) -> dict[str, Any]:
    found = await run_in_threadpool(canned.reply, store.sessions, reply_id)
    if found is None or not _keeps(account, found["queue"]):
        raise HTTPException(status_code=404, detail=f"no canned reply {reply_id}")
    return found


@router.get("")
async def list_replies(who: SignedInDep, store: StoreDep) -> list[dict[str, Any]]:
    account = who.account
    if account.role == "editor":
        raise HTTPException(status_code=403, detail="for the console's people")
    queues = ("ddh", account.municipality or "ddh") if account.role == "manager" else None
    rows = await run_in_threadpool(canned.replies, store.sessions, queues)
    return [{**r, "editable": _keeps(account, r["queue"])} for r in rows]


@router.post("", status_code=201)
async def add(body: NewReply, account: Keeper, store: StoreDep, accounts: AccountsDep,
              registry: RegistryDep) -> dict[str, Any]:
    if body.queue != "ddh" and body.queue not in registry.municipalities:
        raise HTTPException(status_code=422, detail=f"no queue {body.queue}")
    if not _keeps(account, body.queue):
        raise HTTPException(status_code=403, detail="another queue's replies")
    try:
        row = await run_in_threadpool(canned.add, store.sessions, body.queue, body.shortcut,
                                      body.title.strip(), body.text.strip(),
                                      account.username, datetime.now(UTC))
    except CannedError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    await run_in_threadpool(accounts.audit, account, "canned_add", f"canned:{row['id']}",
                            f"{row['queue']} /{row['shortcut']}")
    return {**row, "editable": True}


@router.patch("/{reply_id}")
async def edit(reply_id: int, body: ReplyChange, account: Keeper, store: StoreDep,
               accounts: AccountsDep) -> dict[str, Any]:
    await _own(account, store, reply_id)
    try:
        row = await run_in_threadpool(
            lambda: canned.change(store.sessions, reply_id, account.username,
                                  datetime.now(UTC), shortcut=body.shortcut,
                                  title=body.title.strip() if body.title else None,
                                  text=body.text.strip() if body.text else None))
    except CannedError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    if row is None:
        raise HTTPException(status_code=404, detail=f"no canned reply {reply_id}")
    await run_in_threadpool(accounts.audit, account, "canned_edit", f"canned:{reply_id}",
                            f"{row['queue']} /{row['shortcut']}")
    return {**row, "editable": True}


@router.delete("/{reply_id}")
async def remove(reply_id: int, account: Keeper, store: StoreDep,
                 accounts: AccountsDep) -> dict[str, Any]:
    found = await _own(account, store, reply_id)
    await run_in_threadpool(canned.remove, store.sessions, reply_id)
    await run_in_threadpool(accounts.audit, account, "canned_delete", f"canned:{reply_id}",
                            f"{found['queue']} /{found['shortcut']}")
    return {"deleted": reply_id}
