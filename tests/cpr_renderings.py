"""A grammar of the ways a CPR number reaches us, for property-based privacy tests.

A valid CPR number is a real date (DDMMYY) and four more digits. People write it with
any grouping of its ten digits and any separator between the groups (dots, spaces,
every dash and slash Unicode has), with zero-width characters or soft hyphens pasted
in, in full-width digits from a phone keyboard, and speech recognition writes it in
words: digit by digit, in pairs ("femten nul fire toogfirs"), or mixed with digits.
Or they give their date of birth ("den femtende april nitten toogfirs") and then the
last four digits. Each rendering comes with a lead-in a citizen would write before it.
"""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

UNITS = ["nul", "et", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni"]
TEENS = ["ti", "elleve", "tolv", "tretten", "fjorten", "femten", "seksten", "sytten",
         "atten", "nitten"]
TENS = {2: "tyve", 3: "tredive", 4: "fyrre", 5: "halvtreds", 6: "tres", 7: "halvfjerds",
        8: "firs", 9: "halvfems"}
SEPARATORS = [" ", ".", "-", "/", " - ", ". ", " / ", "\u2010", "\u2011", "\u2012",
              "\u2013", "\u2014", "\u2212", "\u2044", "\u2215", "\uff0d", "\uff0e",
              "\u00a0", "\u202f", "  "]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"]
LEADS = ["", "cpr ", "CPR: ", "mit cpr er ", "mit personnummer: ", "personnr. ",
         "cpr-nr ", "mit cpr nummer er ", "Mit CPR-nummer er ", "født ", "cpr nr. ",
         "jeg har cpr ", "my cpr is ", "personnummer "]
TAILS = ["", ".", " tak", ", kan I hjælpe?", " og jeg bor i Aarhus", "!"]


def pair_words(n: int) -> str:
    """A two-digit number as said: 'nul fire' for 04, 'femten', 'toogfirs'."""
    if n < 10:
        return f"nul {UNITS[n]}"
    if n < 20:
        return TEENS[n - 10]
    tens, unit = divmod(n, 10)
    return TENS[tens] if unit == 0 else f"{UNITS[unit] if unit != 1 else 'en'}og{TENS[tens]}"


@st.composite
def cpr_numbers(draw: st.DrawFn) -> str:
    day = draw(st.dates(min_value=date(1920, 1, 1), max_value=date(2025, 12, 31)))
    serial = draw(st.integers(0, 9999))
    return f"{day:%d%m%y}{serial:04d}"


@st.composite
def groupings(draw: st.DrawFn) -> list[int]:
    """Group sizes summing to 10: the usual ones, or any split at all."""
    usual = [[6, 4], [10], [2, 2, 2, 4], [2, 2, 2, 2, 2], [6, 2, 2], [4, 2, 4],
             [2, 2, 6], [1] * 10, [2, 2, 2, 1, 1, 1, 1], [6, 1, 1, 1, 1]]
    if draw(st.booleans()):
        return draw(st.sampled_from(usual))
    sizes: list[int] = []
    while sum(sizes) < 10:
        sizes.append(draw(st.integers(1, 10 - sum(sizes))))
    return sizes


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in s)


@st.composite
def written(draw: st.DrawFn, cpr: str) -> str:
    """Digits, grouped and separated, perhaps with invisible characters or full width."""
    sizes = draw(groupings())
    groups, at = [], 0
    for size in sizes:
        groups.append(cpr[at:at + size])
        at += size
    one = draw(st.booleans())  # one separator throughout, or a mix
    sep = draw(st.sampled_from(SEPARATORS))
    out = groups[0]
    for g in groups[1:]:
        out += (sep if one else draw(st.sampled_from(SEPARATORS))) + g
    if draw(st.integers(0, 3)) == 0:
        out = _fullwidth(out)
    if draw(st.integers(0, 2)) == 0:  # an invisible character pasted in somewhere
        at = draw(st.integers(1, len(out) - 1))
        out = out[:at] + draw(st.sampled_from(INVISIBLE)) + out[at:]
    return out


@st.composite
def spoken(draw: st.DrawFn, cpr: str) -> str:
    """As speech recognition writes it: per digit, per pair, or pairs and digits mixed."""
    style = draw(st.sampled_from(["digits", "pairs", "mixed"]))
    if style == "digits":
        return " ".join(UNITS[int(c)] for c in cpr)
    words = []
    for i in range(0, 10, 2):
        pair = cpr[i:i + 2]
        if style == "mixed" and draw(st.booleans()):
            words.append(pair if draw(st.booleans()) else
                         f"{UNITS[int(pair[0])]} {UNITS[int(pair[1])]}")
        else:
            words.append(pair_words(int(pair)))
    sep = draw(st.sampled_from([" ", " ", ", ", " øh ", " streg "]))
    return " ".join(words[:3]) + sep + " ".join(words[3:])


MONTH_NAMES = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
               "september", "oktober", "november", "december"]
ORDINAL_WORDS = [
    "første", "anden", "tredje", "fjerde", "femte", "sjette", "syvende", "ottende", "niende",
    "tiende", "ellevte", "tolvte", "trettende", "fjortende", "femtende", "sekstende",
    "syttende", "attende", "nittende", "tyvende", "enogtyvende", "toogtyvende",
    "treogtyvende", "fireogtyvende", "femogtyvende", "seksogtyvende", "syvogtyvende",
    "otteogtyvende", "niogtyvende", "tredivte", "enogtredivte"]
CONNECTORS = [" ", " - ", ", ", " og de sidste fire er ", " og så ", ", sidste fire: ",
              " og de fire sidste cifre er "]


@st.composite
def birth_date(draw: st.DrawFn, cpr: str) -> str:
    """The date of birth said or written, then the last four digits."""
    day, month, yy = int(cpr[0:2]), int(cpr[2:4]), int(cpr[4:6])
    century = draw(st.sampled_from([1900, 2000]))
    day_s = draw(st.sampled_from([f"{day}.", str(day), ORDINAL_WORDS[day - 1],
                                  f"den {ORDINAL_WORDS[day - 1]}"]))
    words_year = (f"nitten {pair_words(yy)}" if century == 1900 else
                  f"to tusind og {pair_words(yy).removeprefix('nul ')}")
    year_s = draw(st.sampled_from([f"{yy:02d}", f"{century + yy}", words_year,
                                   words_year.replace("nitten ", "nitten hundrede og "),
                                   pair_words(yy)]))
    serial = cpr[6:]
    serial_s = draw(st.sampled_from([serial, f"{serial[:2]} {serial[2:]}",
                                     f"{pair_words(int(serial[:2]))} "
                                     f"{pair_words(int(serial[2:]))}",
                                     " ".join(UNITS[int(c)] for c in serial)]))
    return f"{day_s} {MONTH_NAMES[month - 1]} {year_s}" \
           f"{draw(st.sampled_from(CONNECTORS))}{serial_s}"


@st.composite
def renderings(draw: st.DrawFn) -> tuple[str, str]:
    """(the CPR number's ten digits, a citizen's text that carries it)."""
    cpr = draw(cpr_numbers())
    form = draw(st.sampled_from(["written", "written", "spoken", "birth date"]))
    body = draw(written(cpr)) if form == "written" else draw(spoken(cpr)) \
        if form == "spoken" else draw(birth_date(cpr))
    lead = draw(st.sampled_from(LEADS))
    if form != "written":
        lead = lead.replace(":", "")
    return cpr, f"{lead}{body}{draw(st.sampled_from(TAILS))}"
