"""The inbound-mail webhook (CONTRACT.md §5): one received e-mail as JSON, the shape
common inbound-mail services post, normalised.

`POST /api/email/inbound` answers 202 `{"conversation": id, "status": …}` once the mail
is recorded and its turn taken (the reply waits in the store's outbox and is sent right
after the response, or retried later). The same `message_id` again is the same turn:
202 with `"status": "duplicate"`. With `DDH_EMAIL_INBOUND_TOKEN` set, a request
without `X-DDH-Inbound-Token` gets 401 and one with a wrong token 403. A 5xx means the
mail was not handled: the service should post it again (that is safe).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ddh import mail as mails
from ddh.logging import get_logger
from gateway.api.deps import EmailChannelDep, SettingsDep
from gateway.mail_transport import reply_sender

router = APIRouter(prefix="/email", tags=["email"])
log = get_logger(__name__)


class AttachmentIn(BaseModel):
    name: str = "bilag"
    size: int = Field(default=0, ge=0)
    content_type: str = "application/octet-stream"


class InboundMailIn(BaseModel):
    """One received e-mail. `headers`: the mail's headers (name → value); they tell
    auto-replies, bounces and lists (never answered) and carry SPF/DKIM results."""

    model_config = ConfigDict(populate_by_name=True)

    message_id: str = Field(min_length=1, max_length=500, examples=["<abc@mail.example.dk>"])
    from_: str = Field(alias="from", max_length=500, examples=["Navn <borger@example.dk>"])
    to: str | list[str] = Field(examples=["kontakt@kommune.dk"])
    subject: str = Field(default="", max_length=2000)
    text: str = Field(default="", max_length=200_000)
    html: str | None = Field(default=None, max_length=500_000,
                             description="Read when `text` is empty")
    in_reply_to: str | None = Field(default=None, max_length=500)
    references: list[str] | str = Field(default_factory=list)
    headers: dict[str, Any] | list[dict[str, Any]] = Field(default_factory=dict)
    municipality: str | None = Field(default=None, pattern=r"^\d{4}$")
    attachments: list[AttachmentIn] = Field(
        default_factory=list, description="Named in the handoff, never stored")


class InboundAnswer(BaseModel):
    conversation: str | None
    status: str = Field(description="answered, duplicate, to_agent (an agent has the "
                        "conversation and answers it) or ignored")
    reason: str | None = Field(default=None, description="Why ignored (a robot, the loop "
                               "guard, no text)")
    action: str | None = None


def _check_token(settings: Any, token: str | None) -> None:
    expected = settings.email_inbound_token
    if expected is None:
        return
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing X-DDH-Inbound-Token")
    if not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong X-DDH-Inbound-Token")


@router.post("/inbound", status_code=status.HTTP_202_ACCEPTED, response_model=InboundAnswer)
async def inbound(body: InboundMailIn, channel: EmailChannelDep, settings: SettingsDep,
                  background: BackgroundTasks,
                  x_ddh_inbound_token: Annotated[str | None, Header()] = None
                  ) -> dict[str, Any]:
    """Receive one e-mail: recorded, answered through the frontdesk, replied to by mail."""
    _check_token(settings, x_ddh_inbound_token)
    if body.municipality and body.municipality not in channel.frontdesk.registry.municipalities:
        raise HTTPException(422,
                            f"unknown kommunekode {body.municipality}")
    mail = mails.from_json(body.model_dump(by_alias=True))
    try:
        received = await run_in_threadpool(channel.receive, mail)
    except Exception as exc:
        log.exception("email.inbound_failed")
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "not handled: post it again") from exc
    if received.status == "answered":
        background.add_task(run_in_threadpool, reply_sender(channel, settings).deliver_due)
    return received.as_json()
