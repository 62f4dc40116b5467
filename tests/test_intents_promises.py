"""Cues for what was ordered, applied for or agreed and did not come (one's own case),
support staff asked for by name, and a condition on what one has: generated variants
(hypothesis), not the evaluation sets' wording.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.intents import CONDITION, detect, subject_text


@given(st.sampled_from(["jeg bestilte", "vi søgte om", "min mor sendte", "jeg har bestilt"]),
       st.sampled_from(["pas", "nyt kørekort", "et sundhedskort", "ansøgningen"]),
       st.sampled_from(["for tre uger siden", "i sidste måned", "hos jer", ""]),
       st.sampled_from(["og det er ikke kommet endnu", "men den er stadig ikke kommet",
                        "og vi har ikk modtaget noget", "og det er endnu ikke dukket op"]))
def test_ordered_and_not_come_is_my_own_case_and_keeps_its_subject(who, thing, when, tail):
    text = f"{who} {thing} {when} {tail}".replace("  ", " ")
    assert detect(text).own_case, text
    assert thing.split()[-1] in subject_text(text), text  # what was ordered is the subject


@given(st.sampled_from(["de kommer ikke om morgenen som aftalt",
                        "hjemmeplejen kom ikke i går som aftalt",
                        "det blev ikk gjort som lovet", "madservice kom ikke som planlagt"]))
def test_something_agreed_that_did_not_happen_is_my_own_case(text):
    assert detect(f"det drejer sig om min fars pleje, {text}").own_case, text


def test_asking_when_a_card_usually_comes_is_no_case_of_mine():
    for text in ("hvor lang tid tager det at få et nyt sundhedskort",
                 "hvornår kommer et pas normalt, når man har bestilt det"):
        assert not detect(text).own_case, text


@given(st.sampled_from(["tale med", "snakke med", "chatte med", "få fat i"]),
       st.sampled_from(["en supporter", "supporten", "kundeservice", "en supportmedarbejder"]))
def test_support_staff_by_name_is_a_person(verb, whom):
    text = f"appen virker ikke, jeg vil gerne {verb} {whom}"
    assert detect(text).wants_person, text


@given(st.sampled_from(["gælder det også selvom", "også hvis", "even if"]),
       st.sampled_from(["han havde lidt penge på en opsparing", "hun har et hus",
                        "I have savings", "jeg får pension"]))
def test_what_one_has_as_a_condition_is_no_new_subject(lead, has):
    text = f"{lead} {has}"
    assert CONDITION.search(text), text
