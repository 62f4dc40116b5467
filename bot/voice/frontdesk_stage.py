"""The voice pipeline's frontdesk stage: caller utterances in, spoken replies out.

Every transcription is one turn of the same `Frontdesk` the chat uses (run in a worker
thread, turns of a call in order); its reply is made speakable and pushed to TTS.
What a switchboard does besides talking happens here too, through the carrier adapters:
- `answer`: the link can be texted (SMS) to the caller's number when they say yes;
- `transfer`: once the announcement has been spoken, the call moves to the
  municipality's number from the registry;
- `ticket`: the caller's own number is read back for the callback and used only when
  they confirm it;
- `end`: the goodbye is spoken, then the call ends.
It also keeps the line alive: "I did not catch that" for an unintelligible utterance
(a person is offered after repeated misses, or at once when speech recognition
fails), a prompt when the caller is silent, and DTMF postal codes arrive as text from
pipecat's `DTMFAggregator`. When the call ends for any reason, the conversation is
closed in the frontdesk (recorded, state freed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    CancelFrame,
    EndFrame,
    EndWorkerFrame,
    Frame,
    InputDTMFFrame,
    StartFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from bot.frontdesk import Frontdesk, TurnInput, TurnResult
from bot.intents import detect, words
from bot.replies import spaced_phone
from bot.turn.types import Ask, Recognition
from bot.voice.carrier import CallInfo, CarrierError, SmsSender, Telephony
from bot.voice.frames import ExpectAnswerFrame, SpeechNotUnderstoodFrame
from bot.voice.speakable import speakable
from ddh.vocabulary import Action, Channel, Outcome

SAY = {
    "not_caught": "Undskyld, det fangede jeg ikke. Vil du sige det igen?",
    "still_there": "Er du der stadig? Du kan bare sige, hvad du har brug for hjælp til.",
    "silent_bye": "Jeg kan ikke høre dig, så jeg lægger på nu. Ring endelig igen. Farvel.",
    "sms_sent": "Jeg har sendt linket til dig på sms.",
    "sms_failed": "Jeg kunne desværre ikke sende sms'en lige nu.",
    "confirm_number": "Skal vi ringe dig op på det nummer, du ringer fra, {number}? "
                      "Sig ja eller nej.",
    "transfer_failed": "Jeg kunne desværre ikke stille dig om. Ring selv til {name} på {phone}.",
    "no_number": "Jeg kan desværre ikke stille dig om lige nu.",
    "still_waiting": "Du venter stadig på en medarbejder. Du er nummer {place} i køen.",
    "connecting": "Nu stiller jeg dig om til {name} fra Den Digitale Hotline.",
}


# Scored against a short answer to "Handler det om …?" (bot/voice/turn_stt.py).
YES_NO = (("ja", "Ja."), ("nej", "Nej."), ("ja", "Ja tak."), ("nej", "Nej tak."))


def municipality_answers(frontdesk: Frontdesk) -> tuple[tuple[str, str], ...]:
    """What answers "Hvilken kommune bor du i?": each municipality by its name, which
    the frontdesk reads as the place (a name misheard, "Kaldin.", is scored against the
    names spelled most like it)."""
    names = sorted({m.name.removesuffix(" Kommune")
                    for m in frontdesk.registry.municipalities.values()})
    return tuple((name, f"{name}.") for name in names)


def _opening(text: str) -> bool:
    """Only a greeting, a filler or a "ja": how callers start before their question."""
    cues = detect(text)
    return cues.greeting_only or words(text) == 0 or (cues.yes and words(text) <= 2 and
                                                      not cues.question)


class FrontdeskProcessor(FrameProcessor):
    """See module docstring. Sits between speech-to-text and text-to-speech."""

    def __init__(self, frontdesk: Frontdesk, call: CallInfo, telephony: Telephony,
                 sms: SmsSender, *, municipality: str | None = None,
                 silence_s: float = 8.0, max_misses: int = 2, hold_announce_s: float = 30.0,
                 clock: Callable[[], datetime] | None = None, opening_hold_s: float = 1.5,
                 **kwargs: Any) -> None:
        super().__init__(name="FrontdeskProcessor", **kwargs)
        self.frontdesk = frontdesk
        self.call = call
        self.telephony = telephony
        self.sms = sms
        self.municipality = municipality
        self.silence_s = silence_s
        self.max_misses = max_misses
        self.clock = clock
        self.results: list[TurnResult] = []  # this call's turns, in order (for tests, logs)
        self._turns = asyncio.Lock()
        self._after_speech: list[Callable[[], Awaitable[None]]] = []
        self._silence: asyncio.Task | None = None
        self._silent_prompts = 0
        self._misses = 0
        self._sms_text: str | None = None  # link offered by SMS, sent on "ja"
        self._confirm_number = False
        self._awaiting_key = False  # the bot asked a question a single key answers
        self._awaiting = False  # the bot asked a question ("ja" answers it)
        self._held: str | None = None  # "ja hej": held for what the caller says next
        self._hold_timer: asyncio.Task | None = None
        self._speaking = False  # the caller is in a turn (VAD or the turn detector)
        self.opening_hold_s = opening_hold_s
        self._keyed = False
        self._ending = False
        self._closed = False
        self.hold_announce_s = hold_announce_s
        self.waiting_for: str | None = None  # handoff id while the caller is in a queue
        self._hold: asyncio.Task | None = None

    # --- frames --------------------------------------------------------------------

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, StartFrame):
            await self.push_frame(frame, direction)
            self.create_task(self._greet(), name="greet")
            return
        if isinstance(frame, InputDTMFFrame) and self._awaiting_key:
            # "tryk 1 for ja": one key answers at once, without the aggregator's wait
            self._awaiting_key = False
            self._keyed = True
            self._cancel_silence()
            self.create_task(self._utterance(frame.button.value), name="key")
        elif isinstance(frame, TranscriptionFrame):
            if self._keyed and not frame.user_id and frame.text.strip().isdigit():
                self._keyed = False  # the aggregator's copy of the key just taken
                return
            self._cancel_silence()
            heard = frame.result if isinstance(frame.result, Recognition) else None
            self._heard(frame.text, heard)
            return
        if isinstance(frame, SpeechNotUnderstoodFrame):
            if self._held is not None:  # what came after the greeting was nothing
                self._release_held()
                return
            self.create_task(self._not_understood(frame.reason), name="unheard")
            return
        if isinstance(frame, (VADUserStartedSpeakingFrame, UserStartedSpeakingFrame)):
            self._speaking = True
            if self._held is not None:
                self._hold_timer_cancel()  # the caller goes on: wait for the rest
        elif isinstance(frame, UserStoppedSpeakingFrame):
            self._speaking = False
        if isinstance(frame, (VADUserStartedSpeakingFrame, UserStartedSpeakingFrame,
                              BotStartedSpeakingFrame)):
            self._cancel_silence()
        elif isinstance(frame, BotStoppedSpeakingFrame):
            await self._bot_stopped()
        elif isinstance(frame, (EndFrame, CancelFrame)):
            await self._close(frame)
        await self.push_frame(frame, direction)

    async def _bot_stopped(self) -> None:
        actions, self._after_speech = self._after_speech, []
        for action in actions:
            await action()
        if not actions and not self._ending and not self._turns.locked() and \
                self.waiting_for is None:  # on hold in a queue, silence is expected
            self._start_silence()

    # --- speaking --------------------------------------------------------------------

    async def _say(self, text: str) -> None:
        text = speakable(text)
        if text:
            await self.push_frame(TTSSpeakFrame(text))

    async def _end_call(self) -> None:
        self._ending = True
        self._cancel_silence()
        await self.push_frame(EndWorkerFrame(reason="conversation ended"))

    def _now(self) -> datetime | None:
        return self.clock() if self.clock else None

    async def _greet(self) -> None:
        greeting = await asyncio.to_thread(
            self.frontdesk.open, self.call.conversation, "voice", self.municipality,
            self.call.called, self._now())
        await self._say(greeting)

    # --- turns -----------------------------------------------------------------------

    def _heard(self, text: str, recognition: Recognition | None) -> None:
        """A transcript: acted on, or, when it is only an opening ("ja hej", "hallo")
        and the bot asked nothing, held briefly and joined to what the caller says next
        (a pause after "ja hej" is where end-of-turn detection would cut them off)."""
        if self._held is not None:
            held, self._held = self._held, None
            self._hold_timer_cancel()
            text = f"{held} {text}"
            if recognition is not None:
                recognition = replace(recognition, alternatives=tuple(
                    f"{held} {a}" for a in recognition.alternatives))
        elif not self._awaiting and self.opening_hold_s > 0 and _opening(text):
            self._held = text
            if not self._speaking:  # else the caller's next words end the hold
                self._hold_timer = self.create_task(self._hold_expired(), name="opening")
            return
        self.create_task(self._utterance(text, recognition), name="turn")

    async def _hold_expired(self) -> None:
        await asyncio.sleep(self.opening_hold_s)
        self._hold_timer = None
        self._release_held()

    def _hold_timer_cancel(self) -> None:
        if self._hold_timer is not None:
            task, self._hold_timer = self._hold_timer, None
            task.cancel()

    def _release_held(self) -> None:
        if self._held is not None:
            text, self._held = self._held, None
            self.create_task(self._utterance(text), name="turn")

    async def _utterance(self, text: str, recognition: Recognition | None = None) -> None:
        async with self._turns:
            if self._ending:
                return
            self._misses = 0
            self._silent_prompts = 0
            said = text.strip()
            cues = detect(said)
            if self._sms_text is not None:
                sms, self._sms_text = self._sms_text, None
                # "ja", "ja tak for det", "yes please": consent to the text message
                if (cues.yes or cues.positive) and self.call.caller:
                    await self._send_sms(sms)
            if self._confirm_number:
                self._confirm_number = False
                if cues.yes and self.call.caller:
                    said = f"{said} {self.call.caller}"  # the number they just confirmed
            await self._turn(TurnInput(self.call.conversation, said, Channel.VOICE,
                                       self.municipality, self.call.called, self._now(),
                                       recognition=recognition))

    async def _not_understood(self, reason: str) -> None:
        async with self._turns:
            if self._ending:
                return
            self._misses += 1
            if reason == "empty" and self._misses < self.max_misses:
                await self._say(SAY["not_caught"])
                return
            logger.info(f"{self}: caller not understood ({reason}, {self._misses}x)")
            self._misses = 0
            await self._turn(TurnInput(self.call.conversation, "", Channel.VOICE, self.municipality,
                                       self.call.called, self._now(), unheard=True))

    async def _turn(self, turn: TurnInput) -> None:
        result = await asyncio.to_thread(self.frontdesk.handle, turn)
        self.results.append(result)
        await self._say(result.reply)
        await self._act(result)

    async def _act(self, result: TurnResult) -> None:
        self._awaiting_key = result.awaiting in (Ask.TOPIC, Ask.MENU)
        self._awaiting = result.awaiting is not None
        if result.awaiting in (Ask.TOPIC, Ask.PLACE):  # "ja" or "nej" is what comes next
            await self.push_frame(ExpectAnswerFrame(YES_NO), FrameDirection.UPSTREAM)
        elif result.awaiting == Ask.MUNICIPALITY:  # a municipality's name
            await self.push_frame(ExpectAnswerFrame(municipality_answers(self.frontdesk)),
                                  FrameDirection.UPSTREAM)
        if result.action == Action.ANSWER and result.guides:
            g = result.guides[0]
            self._sms_text = f"{g['title']}: {g['url']}"
        elif result.action == Action.TRANSFER and result.handoff:
            target = result.handoff.target
            self._after_speech.append(lambda: self._transfer(target))
        elif result.action == Action.TICKET and result.handoff and self.call.caller:
            if result.awaiting == Ask.CALLBACK:
                self._confirm_number = True
                await self._say(SAY["confirm_number"].format(
                    number=spaced_phone(self.call.caller)))
        elif result.action == Action.END:
            await self._end_call()
        elif result.action == Action.HANDOFF and result.handoff and \
                self.frontdesk.handoffs is not None and self.waiting_for is None:
            self.waiting_for = result.handoff.id
            self._hold = self.create_task(self._announce_place(), name="hold")

    async def _send_sms(self, body: str) -> None:
        try:
            await self.sms.send(self.call.caller or "", body)
            await self._say(SAY["sms_sent"])
        except (CarrierError, OSError) as exc:
            logger.error(f"{self}: SMS failed: {exc}")
            await self._say(SAY["sms_failed"])

    async def _transfer(self, target: str) -> None:
        registry = self.frontdesk.registry
        routing = registry.routing_for(target) if target in registry.municipalities else None
        if routing is None or not routing.phone:
            logger.warning(f"{self}: no transfer number for {target!r}")
            await self._say(SAY["no_number"])
            return
        try:
            await self.telephony.transfer(self.call, routing.phone)
        except CarrierError as exc:
            logger.error(f"{self}: transfer failed: {exc}")
            await self._say(SAY["transfer_failed"].format(
                name=f"{routing.name} Kommune", phone=spaced_phone(routing.phone)))
            return
        await self._end_call()  # the carrier has the call now; our media leg ends

    async def hand_over(self) -> None:
        """The gateway is stopping and this call outlived the drain: after the sentence
        being spoken, the caller hears why, and their need goes to a person (the call
        transferred where the topic's team is open, else a ticket); then the call ends.
        Never cut mid-sentence, never without a word."""
        async with self._turns:
            if self._ending or self._closed:
                return
            self.waiting_for = None
            if self._hold is not None:
                self._hold.cancel()
            self._hold_timer_cancel()
            self._cancel_silence()
            result = await asyncio.to_thread(self.frontdesk.handle, TurnInput(
                self.call.conversation, "", Channel.VOICE, self.municipality,
                self.call.called, self._now(), hand_over=True))
            self.results.append(result)
            await self._say(result.reply)
            if result.action == Action.TRANSFER and result.handoff:
                target = result.handoff.target
                self._after_speech.append(lambda: self._transfer(target))
            else:
                self._ending = True  # the goodbye is said, then the line closes
                self._after_speech.append(self._end_call)

    # --- waiting for an agent ---------------------------------------------------------

    async def _announce_place(self) -> None:
        """While the caller waits in the queue, tell them their place now and then."""
        desks = self.frontdesk.handoffs
        while self.waiting_for is not None and desks is not None:
            await asyncio.sleep(self.hold_announce_s)
            place, _ = await asyncio.to_thread(desks.place, self.waiting_for)
            if place is None:
                return
            await self._say(SAY["still_waiting"].format(place=place))

    async def connect_agent(self, name: str, phone: str) -> None:
        """An agent accepted (their screen shows the packet): put the caller through."""
        self.waiting_for = None
        if self._hold is not None:
            self._hold.cancel()
        self._cancel_silence()
        await self._say(SAY["connecting"].format(name=name))
        self._after_speech.append(lambda: self._put_through(phone))

    async def _put_through(self, phone: str) -> None:
        try:
            await self.telephony.transfer(self.call, phone)
        except CarrierError as exc:
            logger.error(f"{self}: could not put the caller through to the agent: {exc}")
            await self._say(SAY["no_number"])
            return
        await self._end_call()

    # --- silence ---------------------------------------------------------------------

    def _start_silence(self) -> None:
        self._cancel_silence()
        self._silence = self.create_task(self._silence_timer(), name="silence")

    def _cancel_silence(self) -> None:
        if self._silence is not None:
            task, self._silence = self._silence, None
            task.cancel()

    async def _silence_timer(self) -> None:
        await asyncio.sleep(self.silence_s)
        self._silence = None
        self._silent_prompts += 1
        if self._silent_prompts >= 2:
            await self._say(SAY["silent_bye"])
            await self._end_call()
        else:
            await self._say(SAY["still_there"])

    # --- the end ---------------------------------------------------------------------

    async def finish(self) -> None:
        """The call is over whatever the pipeline saw last (idempotent)."""
        await self._close(CancelFrame())

    async def _close(self, frame: Frame) -> None:
        """Hang-up or goodbye: free the conversation (idempotent)."""
        self._cancel_silence()
        self._hold_timer_cancel()
        if self._hold is not None:
            self._hold.cancel()
        if self._closed:
            return
        self._closed = True
        outcome = Outcome.HUNG_UP if isinstance(frame, CancelFrame) else Outcome.ABANDONED
        await asyncio.to_thread(self.frontdesk.close, self.call.conversation, self._now(),
                                outcome)
