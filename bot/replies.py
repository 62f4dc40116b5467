"""Grounded replies: short Danish text composed from guides and registry data.

No language model is needed: an answer is the guide's own summary and steps with
its link (chat), or the summary and an offer to send the link by SMS (voice, where
lists and URLs cannot be read aloud). Framing sentences have an English variant for
citizens who write English, and national guides have an English summary and steps
(local guides may be Danish only).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from bot.schedule import Opening, spoken_when
from knowledge.guide import Guide

if TYPE_CHECKING:
    from bot.notices import Notice
from knowledge.registry import Registry

AUTHORITY_CONTACT = {
    # Contact routes we are confident of; phone numbers live in the guides when verified.
    "udbetaling-danmark": "borger.dk, hvor du logger på med MitID",
    "skattestyrelsen": "skat.dk eller telefon 72 22 18 18",
    "su-styrelsen": "minSU på su.dk",
    "gaeldsstyrelsen": "gaeldst.dk eller telefon 70 15 73 04",
}

T = {
    "disclose": {
        "da": "Hej, jeg er en digital assistent (AI) for {who} – ikke et menneske.",
        "en": "Hi, I am a digital assistant (AI) for {who} – not a human.",
    },
    "helped": {"da": "Hjalp det?", "en": "Did that help?"},
    "notice": {"da": "Vigtig besked fra {who}:",
               "en": "Important notice from {who} (in Danish):"},
    "notice_where": {"da": "Der er en aktuel besked fra en kommune om det. Hvilken kommune "
                           "bor du i?",
                     "en": "A municipality has a current notice about this. Which "
                           "municipality do you live in?"},
    "sms_offer": {"da": "Jeg kan sende dig linket på sms.",
                  "en": "I can text you the link."},
    "steps": {"da": "Sådan gør du:", "en": "How to do it:"},
    "more": {"da": "Læs mere:", "en": "Read more:"},
    "confirm_topic": {
        "da": "Handler det om {topic}? Sig ja eller nej, eller tryk 1 for ja og 2 for nej.",
        "en": "Is it about {topic}? Say yes or no, or press 1 for yes and 2 for no.",
    },
    "say_again_short": {
        "da": "Undskyld. Sig med få ord, hvad du ringer om.",
        "en": "Sorry. Tell me in a few words what you are calling about.",
    },
    "menu": {
        "da": "Jeg har svært ved at høre dig. Tryk {choices}. Tryk 0 for at tale med en "
              "medarbejder.",
        "en": "I am having trouble hearing you. Press {choices}. Press 0 to talk to a person.",
    },
    "rephrase": {
        "da": "Det er jeg ikke sikker på, at jeg har forstået. Vil du sige det med andre ord?",
        "en": "I am not sure I understood. Could you say it in other words?",
    },
    "no_guide": {
        "da": "Det har jeg desværre ikke en vejledning om.",
        "en": "I am sorry, I do not have a guide about that.",
    },
    "still_waiting": {"da": "Du står stadig i køen til en medarbejder.",
                      "en": "You are still in the queue for an agent."},
    "queue_taken": {"da": "En medarbejder har taget din henvendelse og skriver til dig om lidt.",
                    "en": "An agent has taken your request and will write to you shortly."},
    "queue_unknown": {"da": "Du står stadig i kø. Jeg kan ikke se din plads lige nu.",
                      "en": "You are still in the queue. I cannot see your place right now."},
    "left_queue": {"da": "Du er taget ud af køen.", "en": "You have left the queue."},
    "also_asked": {"da": "Du spurgte også om {topic}. Sig til, så tager vi det bagefter.",
                   "en": "You also asked about {topic}. Just say so, and we will take that next."},
    "goodbye": {"da": "Selv tak. Hav en god dag!", "en": "You are welcome. Have a nice day!"},
    "how_help": {"da": "Hvad kan jeg hjælpe dig med?", "en": "What can I help you with?"},
    "queue_place": {"da": "Du er nummer {place} i køen.",
                    "en": "You are number {place} in the queue."},
    "queue_wait": {"da": "Forventet ventetid er {wait}.", "en": "The expected wait is {wait}."},
    "noted_municipality": {"da": "Tak, du bor i {name} Kommune.",
                           "en": "Thank you, you live in {name} Municipality."},
    "ask_municipality": {
        "da": "Hvilken kommune bor du i? Du kan også skrive dit postnummer.",
        "en": "Which municipality do you live in? You can also give your postal code.",
    },
    "confirm_place": {
        "da": "Bor du i {name} Kommune? Sig ja eller nej, eller tryk 1 for ja og 2 for nej.",
        "en": "Do you live in {name} Municipality? Say yes or no, or press 1 for yes and 2 "
              "for no.",
    },
    "postal_keypad": {
        "da": "Tast dit postnummer på telefonen, eller sig navnet på din kommune.",
        "en": "Key in your postal code on the phone, or say the name of your municipality.",
    },
    "passed_on_mail": {
        "da": "Tak for din mail. Den kan jeg ikke svare på selv, så jeg har sendt den videre "
              "til {who}. De svarer dig på mail {when}.",
        "en": "Thank you for your e-mail. I cannot answer it myself, so I have passed it on "
              "to {who}. They will answer you by e-mail {when}.",
    },
    "mail_soon": {"da": "hurtigst muligt", "en": "as soon as possible"},
    "mail_when_open": {"da": "når de har åbent igen, {when}", "en": "when they open again, {when}"},
    "ask_which": {
        "da": "{evidence} hører til flere kommuner: {names}. Hvilken bor du i?",
        "en": "{evidence} belongs to several municipalities: {names}. Which one is yours?",
    },
    "handoff": {
        "da": "Jeg sætter dig i kø til en medarbejder fra Den Digitale Hotline. "
              "Medarbejderen kan se vores samtale, så du ikke skal forklare det igen.",
        "en": "I am putting you in the queue for a member of staff at Den Digitale Hotline. "
              "They can see our conversation, so you will not have to explain again.",
    },
    "transfer_chat": {
        "da": "Det skal {name} Kommune hjælpe dig med, og de har åben nu.{phone}",
        "en": "{name} Municipality needs to help you with this, and they are open now.{phone}",
    },
    "call_on": {"da": "Ring på {phone}.", "en": "Call {phone}."},
    "transfer_voice": {
        "da": "Det skal {name} Kommune hjælpe dig med. Jeg stiller dig om til dem nu.",
        "en": "{name} Municipality needs to help you with this. I am transferring you now.",
    },
    "ticket": {
        "da": "{who} har lukket lige nu. Jeg har sendt din henvendelse videre, og du hører "
              "fra dem senest {when}.",
        "en": "{who} is closed right now. I have passed on your request, and you will hear "
              "from them by {when}.",
    },
    "ticket_exists": {
        "da": "Din henvendelse er allerede sendt videre til {who}, og du hører fra dem "
              "senest {when}. Jeg sender den ikke igen.",
        "en": "Your request has already been passed on to {who}, and you will hear from "
              "them by {when}. I will not send it again.",
    },
    "hand_over": {
        "da": "Jeg er nødt til at afslutte opkaldet, fordi vores system genstarter.",
        "en": "I have to end the call, because our system is restarting.",
    },
    "hand_over_ticket": {
        "da": "Jeg har sendt din henvendelse videre til {who}. Ring gerne igen om et "
              "øjeblik. Undskyld ulejligheden.",
        "en": "I have passed your request to {who}. Please call again in a moment. Sorry "
              "for the trouble.",
    },
    "queue_down": {
        "da": "Jeg kan ikke sætte dig i kø til en medarbejder lige nu, fordi vores kø har en "
              "fejl. Jeg har i stedet sendt din henvendelse til {who}, som kontakter dig.",
        "en": "I cannot put you in the queue for a member of staff right now, because our "
              "queue has a fault. I have passed your request to {who} instead, and they will "
              "contact you.",
    },
    "ticket_ask_number": {
        "da": "Vil du ringes op, så skriv dit telefonnummer.",
        "en": "If you would like a call back, please give your phone number.",
    },
    "ticket_has_number": {
        "da": "De ringer til dig på det nummer, du har givet.",
        "en": "They will call you on the number you gave.",
    },
    "callback_saved": {
        "da": "Tak, jeg har givet dit nummer videre, så de kan ringe dig op.",
        "en": "Thank you, I have passed on your number so they can call you back.",
    },
    "redirect": {
        "da": "Det hører under {authority}, ikke kommunen.",
        "en": "This is handled by {authority}, not the municipality.",
    },
    "contact": {"da": "Kontakt: {contact}.", "en": "Contact: {contact}."},
    "out_of_scope": {
        "da": "Det kan kommunen desværre ikke hjælpe med.",
        "en": "Unfortunately the municipality cannot help with that.",
    },
    "despair": {
        "da": "Er du i fare lige nu, så ring 112. Du kan også tale med nogen hos Livslinien "
              "på 70 201 201.",
        "en": "If you are in danger right now, call 112. You can also talk to someone at "
              "Livslinien (the Danish suicide helpline) on 70 201 201.",
    },
    "emergency": {
        "da": "Er det akut – fare for liv, brand eller ulykke – så ring 112 nu. "
              "Til politiet, når det ikke haster: ring 114.",
        "en": "If this is an emergency – danger to life, fire or an accident – call 112 now. "
              "For the police when it is not urgent: call 114.",
    },
    "end": {
        "da": "Tak for snakken. Hvor tilfreds er du med hjælpen på en skala fra 1 til 10?",
        "en": "Thank you. How satisfied are you with the help, on a scale from 1 to 10?",
    },
    "bye": {"da": "Tak for din vurdering. Hav en god dag!",
            "en": "Thank you for your rating. Have a nice day!"},
}


def t(key: str, lang: str, **kw: object) -> str:
    variants = T[key]
    return variants.get(lang, variants["da"]).format(**kw)


def lang_of(language: str) -> str:
    return "en" if language == "en" else "da"


def disclosure(registry: Registry, municipality: str | None, lang: str) -> str:
    who = (f"{registry.municipalities[municipality].name} Kommune" if municipality
           else "kommunen og Den Digitale Hotline")
    return t("disclose", lang, who=who)


def queue_place(place: int | None, wait_s: float, lang: str) -> str:
    """"Du er nummer 2 i køen. Forventet ventetid er cirka 5 minutter." """
    from handoff.queues import spoken_wait

    if place is None:
        return ""
    text = t("queue_place", lang, place=place)
    wait = spoken_wait(wait_s)
    if wait:
        text += " " + t("queue_wait", lang, wait=wait if lang == "da" else
                        wait.replace("cirka", "about").replace("minutter", "minutes")
                        .replace("minut", "minute"))
    return text


VOICE_WORDS = 30  # about 12 seconds of speech


def brief(summary: str, max_words: int = VOICE_WORDS) -> str:
    """The summary's first sentence, and the next while the whole stays short: on the
    phone a caller cannot re-read, and the link by SMS carries the rest."""
    sentences = re.split(r"(?<=[.!?])\s+", summary.strip())
    out = [sentences[0]]
    for sentence in sentences[1:]:
        if len(" ".join([*out, sentence]).split()) > max_words:
            break
        out.append(sentence)
    return " ".join(out)


def guide_text(guide: Guide, lang: str) -> tuple[str, tuple[str, ...]]:
    """The guide's summary and steps in the citizen's language: its English text when
    the citizen writes English and the guide has one (every national guide), else the
    Danish text (a local guide or an import without English)."""
    if lang == "en" and guide.en is not None:
        return guide.en.summary, guide.en.steps
    return guide.summary, guide.steps


def answer(guide: Guide, channel: str, lang: str) -> str:
    """The guide's own words, trimmed for the channel; ends by asking if it helped."""
    summary, steps = guide_text(guide, lang)
    if channel == "voice":
        return f"{brief(summary)} {t('sms_offer', lang)} {t('helped', lang)}"
    parts = [summary]
    if steps:
        listed = "\n".join(f"{i}. {s}" for i, s in enumerate(steps[:6], 1))
        parts.append(f"{t('steps', lang)}\n{listed}")
    parts.append(f"{t('more', lang)} {guide.url}")
    parts.append(t("helped", lang))
    return "\n\n".join(parts)


def notice(registry: Registry, n: Notice, channel: str, lang: str) -> str:
    """A crisis notice in the municipality's words; on the phone kept to what a caller
    can take in (about 25 seconds of speech)."""
    text = brief(n.text, 2 * VOICE_WORDS) if channel == "voice" else n.text
    who = f"{registry.municipalities[n.municipality].name} Kommune"
    return f"{t('notice', lang, who=who)} {n.title.rstrip('.')}. {text} {t('helped', lang)}"


_AUTHORITY_CONTACT_EN = {
    "udbetaling-danmark": "borger.dk, where you log in with MitID",
    "skattestyrelsen": "skat.dk or phone 72 22 18 18",
    "su-styrelsen": "minSU on su.dk",
    "gaeldsstyrelsen": "gaeldst.dk or phone 70 15 73 04",
}


def authority_contact(authority_id: str, lang: str) -> str | None:
    """How to reach a national authority, in the citizen's language."""
    if lang == "en" and authority_id in _AUTHORITY_CONTACT_EN:
        return _AUTHORITY_CONTACT_EN[authority_id]
    return AUTHORITY_CONTACT.get(authority_id)


def redirect(registry: Registry, topic: str, guide: Guide | None, channel: str,
             lang: str) -> str:
    top = registry.topics.get(topic)
    authority_id = top.authority if top else None
    summary = guide_text(guide, lang)[0] if guide else ""
    if summary and channel == "voice":
        summary = brief(summary)
    parts = []
    if authority_id and authority_id != "none":
        authority = registry.authorities[authority_id]
        parts.append(t("redirect", lang, authority=authority.name))
        contact = authority_contact(authority_id, lang) or authority.web
        if summary:
            parts.append(summary)
        if contact:
            parts.append(t("contact", lang, contact=contact))
    else:
        parts.append(t("out_of_scope", lang))
        if summary:
            parts.append(summary)
    text = " ".join(parts)
    if guide and channel != "voice":
        text += f"\n\n{t('more', lang)} {guide.url}"
    return text


def transfer(registry: Registry, code: str, channel: str, lang: str) -> str:
    routing = registry.routing_for(code)
    if channel == "voice":
        return t("transfer_voice", lang, name=routing.name)
    phone = f" {t('call_on', lang, phone=spaced_phone(routing.phone))}" if routing.phone \
        else ""
    return t("transfer_chat", lang, name=routing.name, phone=phone)


def passed_on(registry: Registry, target: str, action: str, opening: Opening | None,
              now: datetime, lang: str) -> str:
    """A mail a person answers: who has it and when they answer (by mail)."""
    who = "en medarbejder hos Den Digitale Hotline" if target == "ddh" and lang == "da" \
        else "a member of staff at Den Digitale Hotline" if target == "ddh" \
        else team(registry, target)
    closed = action == "ticket" and opening is not None and not opening.open and \
        opening.next_open is not None
    when = t("mail_when_open", lang, when=spoken_when(opening.next_open, now)) \
        if closed and opening is not None and opening.next_open is not None \
        else t("mail_soon", lang)
    return t("passed_on_mail", lang, who=who, when=when)


def team(registry: Registry, target: str) -> str:
    """Who a ticket goes to, as the citizen hears it."""
    return "Den Digitale Hotline" if target == "ddh" else \
        f"{registry.municipalities[target].name} Kommune"


def callback_line(lang: str, has_number: bool) -> str:
    """After a ticket: they will call the number given, or: give one to be called."""
    return t("ticket_has_number" if has_number else "ticket_ask_number", lang)


def ticket(registry: Registry, target: str, next_open: datetime | None, now: datetime,
           lang: str, has_number: bool, exists: bool = False) -> str:
    """A ticket made now, or (`exists`) the one already made in this conversation."""
    when = spoken_when(next_open, now) if next_open else "næste hverdag"
    text = t("ticket_exists" if exists else "ticket", lang, who=team(registry, target),
             when=when)
    return f"{text} {callback_line(lang, has_number)}"


def ask_municipality(registry: Registry, candidates: tuple[str, ...], evidence: str | None,
                     lang: str) -> str:
    if len(candidates) > 1 and evidence:
        names = " eller ".join(registry.municipalities[c].name for c in candidates)
        return t("ask_which", lang, evidence=evidence, names=names)
    return t("ask_municipality", lang)


def spaced_phone(phone: str | None) -> str:
    """'+4589402000' → '89 40 20 00': how Danes write a number, and how speech
    engines read it naturally (in pairs)."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("45") and len(digits) == 10:
        digits = digits[2:]
    return " ".join(digits[i:i + 2] for i in range(0, len(digits), 2))
