"""Planted knowledge gaps: municipal subjects no guide answers, asked in many ways.

`ddh simulate --gaps SHARE` mixes these into the simulated traffic so the
knowledge-gap report (`ddh gaps`, handoff/gaps.py) has something true to find: each
theme is a matter the municipality handles but the corpus has no guide for (the bot
says so and routes to the municipality, handoff reason `no_guide`, or asks the citizen
to rephrase), asked at its own volume. A test then checks that the themes come out as
the top clusters, in order of volume.

Paraphrases are generated combinatorially (opening × core question × closing), so a
theme is a few hundred distinct texts rather than one repeated line: clustering must
group them by meaning, not by identical text. Every core names the subject in its own
words (rats, a rat, rodents), as citizens do.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

OPENINGS = ("", "hej ", "godmorgen, ", "hej jeg har et spørgsmål, ", "undskyld, ")
CLOSINGS = ("", " hvad gør jeg", " kan I hjælpe", " hvem skal jeg kontakte", " hvad gør man")


@dataclass(frozen=True)
class GapTheme:
    id: str
    label: str  # what a manager would call it (Danish)
    weight: float  # share of the planted questions
    cores: tuple[str, ...]
    rising: bool = False  # asked more and more over the simulated period
    paraphrases: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        texts = (f"{o}{c}{e}" for o, c, e in itertools.product(OPENINGS, self.cores, CLOSINGS))
        object.__setattr__(self, "paraphrases", tuple(dict.fromkeys(texts)))


THEMES: tuple[GapTheme, ...] = (
    GapTheme("rotter", "Rotter", 0.34, (
        "der er rotter i min have", "jeg har set en rotte i kælderen",
        "hvem bekæmper rotter i kommunen", "hvordan anmelder jeg rotter",
        "der løber rotter rundt i gården", "vi har rotter under terrassen",
        "jeg tror der bor en rotte i mit skur")),
    GapTheme("snerydning", "Snerydning og glatførebekæmpelse", 0.25, (
        "hvornår bliver vores vej ryddet for sne", "hvornår kommer sneplovet på min vej",
        "der er ikke saltet på cykelstien", "vejen er spejlglat og ikke saltet",
        "hvornår rydder kommunen sne i mit kvarter", "sneen er ikke ryddet på min vej"),
        rising=True),
    GapTheme("gadelys", "Gadelys der ikke virker", 0.18, (
        "gadelampen uden for mit hus er gået ud", "der er en gadelygte der ikke virker",
        "hvordan melder jeg en defekt gadelampe", "vejbelysningen på min vej er slukket",
        "lygtepælen ved mit hus blinker hele natten")),
    GapTheme("badevand", "Badevand og badestrande", 0.13, (
        "kan man bade ved stranden i dag", "er badevandet rent ved stranden",
        "hvordan er badevandskvaliteten ved stranden", "er der blågrønalger ved badestranden",
        "er det sikkert at bade ved stranden")),
    GapTheme("hunde", "Hundeskove og hunde uden snor", 0.10, (
        "hvor er der en hundeskov i nærheden", "må min hund løbe uden snor i parken",
        "hvor må jeg lufte min hund uden snor", "findes der en hundeskov i kommunen",
        "hvor er den nærmeste hundeskov")),
)


def pick(rng: random.Random, progress: float) -> tuple[GapTheme, str]:
    """One planted question: a theme by its weight (a rising theme weighs half at the
    start of the period and half as much again at its end; `progress` is 0..1), and
    one of its paraphrases."""
    weights = [t.weight * ((0.5 + progress) if t.rising else 1.0) for t in THEMES]
    theme = rng.choices(THEMES, weights=weights)[0]
    return theme, rng.choice(theme.paraphrases)
