"""Cues for what was ordered, applied for or agreed and did not come (one's own case),
support staff asked for by name, and a condition on what one has: generated variants
(hypothesis), not the evaluation sets' wording.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.cues.talk import CONDITION
from bot.intents import detect, subject_text


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


@given(st.sampled_from(["jeg meldte i torsdags at spanden ikke var tømt",
                        "vi bestilte storskrald til i fredags",
                        "min far anmeldte det for to uger siden"]),
       st.sampled_from(["men den står her stadig", "og det ligger her stadigvæk på fortovet",
                        "og der er stadig ikke sket noget", "men vi har ikke hørt noget endnu"]))
def test_reported_or_ordered_and_still_not_done_is_my_own_case(said, still):
    text = f"{said}, {still}. hvad sker der?"
    assert detect(text).own_case, text


@given(st.sampled_from(["mit nye sundhedskort", "min bevilling", "mit kørekort"]),
       st.sampled_from(["og jeg flyttede for 5 uger siden", "som jeg søgte for tre måneder siden"]))
def test_not_received_some_time_after_is_my_own_case(thing, when):
    text = f"jeg har ikke modtaget {thing}, {when}"
    assert detect(text).own_case, text


@given(st.sampled_from(["jeg har fået en rykker for ejendomsskatten men jeg har altså betalt den",
                        "regningen fra kommunen har jeg jo betalt",
                        "jeg vil gerne have den rettet"]))
def test_a_bill_already_paid_or_to_be_put_right_is_my_own_case(text):
    assert detect(text).own_case, text


def test_a_bill_not_paid_yet_is_a_question():
    text = "jeg har en regning fra kommunen jeg ikke har betalt, hvad sker der med den?"
    assert not detect(text).own_case


@given(st.sampled_from(["det svar kunne jeg ikke bruge til en skid",
                        "den vejledning kan jeg altså ikke bruge",
                        "kunne ikke bruge det til noget"]))
def test_an_answer_that_was_no_use_did_not_help(text):
    assert detect(text).not_helped, text


@given(st.sampled_from(["ja tak, det var hvad jeg ville vide", "super, det var lige det jeg "
                        "skulle vide", "fint, det var det jeg gerne ville høre"]))
def test_that_was_what_i_wanted_to_know_is_a_goodbye(text):
    cues = detect(text)
    assert cues.thanks or cues.farewell, text


@given(st.sampled_from(["en fra byg", "en fra pladsanvisningen", "nogen fra skat"]),
       st.sampled_from(["i røret", "i telefonen"]))
def test_someone_on_the_phone_asks_for_a_person(whom, where):
    text = f"kan jeg ikke få {whom} {where} i stedet"
    assert detect(text).wants_person, text


def test_mitid_on_the_phone_is_no_person():
    assert not detect("hvordan får jeg MitID i telefonen").wants_person


@given(st.sampled_from(["da jeg ikke magter at udfylde noget på internettet",
                        "fordi jeg slet ikke kan finde ud af computeren",  # the object
                        "jeg fatter ikke borger.dk", "hun forstår ikke det digitale"]))
def test_why_they_cannot_do_it_themselves_is_not_the_subject(why):
    text = f"jeg vil gerne have en medarbejder i røret, {why}"
    rest = subject_text(text).lower()
    assert detect(text).wants_person, text
    assert not any(w in rest for w in ("internettet", "computeren", "borger.dk", "digitale")), rest


@given(st.sampled_from(["Mange tak for Deres venlige hjælp.", "Tak for oplysningen.",
                        "tak for den hurtige vejledning"]),
       st.sampled_from(["", " Med venlig hilsen Kirsten Bach", " mvh Ole", " Venlig hilsen"]))
def test_thanks_for_the_help_with_a_letters_sign_off_is_a_goodbye(thanks, sign_off):
    text = f"{thanks}{sign_off}"
    assert detect(text).thanks, text


@given(st.sampled_from(["nej ved du hvad, jeg ringer bare i stedet. farvel",
                        "nå, jeg kommer bare ind i stedet. hej hej",
                        "ved du hvad, så skriver jeg i stedet. farvel"]))
def test_doing_it_another_way_instead_is_a_goodbye(text):
    assert detect(text).farewell, text


@given(st.sampled_from(["er der langt til jeg er ved at komme til?", "er der lang tid igen?",
                        "hvornår kommer jeg min tur?"]))
def test_how_far_from_my_turn_is_about_the_wait(text):
    assert detect(text).asks_wait, text


@given(st.sampled_from(["mit pas", "min bevilling", "mit nye sygesikringskort"]),
       st.sampled_from(["for 3 uger siden", "for en måned siden", "for to mdr siden"]))
def test_where_is_it_after_some_time_is_my_own_case_and_keeps_its_subject(thing, ago):
    for text in (f"hvor bliver {thing} af??? fik besked {ago} at det var på vej",
                 f"jeg fik besked {ago}, hvor bliver {thing} af"):
        assert detect(text).own_case, text
        assert thing.split()[-1] in subject_text(text), text



def test_how_long_it_usually_takes_is_no_case_of_mine():
    for thing in ("mit pas", "mit nye sygesikringskort", "et nyt kørekort"):
        assert not detect(f"hvor lang tid tager det før {thing} kommer").own_case, thing


@given(st.sampled_from(["min kontanthjælp er ik kommet ind i dag",
                        "mine sygedagpenge blev ikke udbetalt fredag",
                        "jeg har sendt lægeerklæringen for en måned siden men intet sker",
                        "hvad er status på det?"]))
def test_a_payment_not_come_or_nothing_happening_is_my_own_case(text):
    assert detect(text).own_case, text


@given(st.sampled_from(["jeg søgte om", "vi har bestilt", "hun har også søgt om", "jeg sendte"]),
       st.sampled_from(["en ny kørestol", "fritagelse", "en større spand", "papirerne"]),
       st.sampled_from(["for tre uger siden", "for to mdr. siden", "i over en måned", ""]),
       st.sampled_from(["hvad sker der med det?", "hvornår kommer den?",
                        "hvorfor tager det så lang tid?", "hvor langt er sagen?"]))
def test_done_a_while_ago_and_asking_how_it_goes_is_my_own_case(who, thing, when, ask):
    text = f"{who} {thing} {when}, {ask}".replace(" ,", ",")
    assert detect(text).own_case, text


@given(st.sampled_from(["i fem måneder", "i over to uger", ""]),
       st.sampled_from(["hvornår sker der noget?", "hvad sker der?"]))
def test_a_long_time_on_a_waiting_list_is_my_own_case(how_long, ask):
    text = f"vi har stået på venteliste til en plads {how_long} nu, {ask}".replace("  ", " ")
    assert detect(text).own_case, text


@given(st.sampled_from(["kommunen har sendt mig", "I har sendt mig", "jeg har fået"]),
       st.sampled_from(["en regning", "et brev", "en rykker"]),
       st.sampled_from(["hvad sker der så nu?", "hvad sker der hvis jeg ikke betaler?"]))
def test_what_the_municipality_sent_is_no_application_of_mine(who, thing, ask):
    assert not detect(f"{who} {thing}, {ask}").own_case


@given(st.sampled_from(["kan en af jer ikke", "kan én af jer", "vil en af jeres medarbejdere"]),
       st.sampled_from(["sidde med hende og vise hende det?", "komme ud til os?",
                        "hjælpe mig med det?", "ringe mig op?"]))
def test_one_of_the_staff_is_a_person(who, what):
    assert detect(f"{who} {what}").wants_person


@given(st.sampled_from(["an actual person", "a real human", "a live agent"]))
def test_an_actual_person_in_english_is_a_person(who):
    assert detect(f"I'd rather go through this with {who}, is that possible?").wants_person


@given(st.sampled_from(["tyk ", "sort ", "en masse ", ""]),
       st.sampled_from(["vinduet", "naboens lejlighed", "taget"]))
def test_smoke_coming_out_is_an_emergency(how, where):
    assert detect(f"der kommer {how}røg ud af {where}, hvad gør jeg").emergency


@given(st.sampled_from(["tak", "super", "top", "okay tak", "Tak for det."]),
       st.sampled_from(["så bestiller jeg det i aften", "så booker jeg en tid nu",
                        "så logger jeg på borger.dk", "så håber jeg at høre fra jer i morgen",
                        "så søger vi i weekenden"]),
       st.sampled_from(["", " 👍", ". Hav en god dag", "!"]))
def test_thanks_and_the_next_step_one_takes_is_a_farewell(opener, step, tail):
    c = detect(f"{opener}, {step}{tail}")
    assert c.farewell and c.thanks, (opener, step, tail)


@given(st.sampled_from(["tak, så flytter jeg i maj og skal bruge en ny læge",
                        "tak, men så mangler jeg stadig et svar",
                        "okay, så bestiller jeg et pas. hvad koster det?",
                        "så søger jeg om boligstøtte, hvordan gør jeg det",
                        "tak, så har jeg brug for hjælp til det næste"]))
def test_a_next_step_with_a_need_or_a_question_still_open_is_no_farewell(text):
    c = detect(text)
    assert not (c.thanks and not c.question), text


@given(st.sampled_from(["siden januar", "siden i sommer", "siden sidste år", "i fire måneder"]),
       st.sampled_from(["Hvornår får vi et tilbud om plads?", "hvad sker der?"]))
def test_on_a_waiting_list_since_some_time_is_my_own_case(since, ask):
    assert detect(f"Vores søn har stået på venteliste til børnehave {since}. {ask}").own_case


@given(st.sampled_from(["naboens hæk", "skuret", "vores carport", "køkkenet"]),
       st.sampled_from(["brænder lige nu", "brænder!!", "står i flammer"]),
       st.sampled_from(["", " og ilden breder sig", ", hvad gør jeg"]))
def test_something_burning_now_is_an_emergency(thing, burning, more):
    assert detect(f"åh nej {thing} {burning}{more}").emergency


@given(st.sampled_from(["huset brænder af energi", "gryden brænder på", "min hals brænder"]))
def test_burning_in_other_senses_is_no_fire(text):
    assert not detect(text).emergency, text


@given(st.sampled_from(["Tak. Ellers skriver jeg igen", "tak, jeg ringer",
                        "Okay tak, så prøver jeg"]),
       st.sampled_from(["på mandag", "i næste uge", "efter weekenden", "i morgen"]))
def test_thanks_and_another_time_is_a_farewell(said, when):
    c = detect(f"{said} {when}")
    assert c.thanks and c.farewell, (said, when)


@given(st.sampled_from(["Kan du få kommunen til at ringe til ham", "kan I få en medarbejder til at "
                        "kontakte hende", "kan du ikke få nogen til at ringe mig op"]))
def test_getting_someone_to_call_is_a_person(text):
    assert detect(f"{text} om det?").wants_person, text


@given(st.sampled_from(["jeg altså betalte", "vi jo betalte", "jeg har altså betalt"]))
def test_a_reminder_for_a_bill_paid_is_my_own_case(paid):
    assert detect(f"Jeg har fået en rykker på en regning, {paid} for to uger siden").own_case


@given(st.sampled_from(["Tusind tak fordi I tog jer tid", "Tak fordi du gider hjælpe en gammel "
                        "mand", "mange tak fordi I lyttede"]),
       st.sampled_from(["", ", det betyder meget lige nu", ". Jeg må hellere gå nu",
                        ". Jeg har ikke mere tid"]))
def test_thanks_for_the_time_is_thanks(thanks, more):
    c = detect(f"{thanks}{more}.")
    assert c.thanks and not c.question, (thanks, more)


@given(st.sampled_from(["kan du også hjælpe mig med noget mere?", "kan I så svare på noget andet?",
                        "vil du også hjælpe mig med en ting til"]))
def test_asking_leave_to_ask_more_is_vague(text):
    assert detect(text).vague, text


@given(st.sampled_from(["Kan en af jer ikke registrere det for mig?",
                        "kan jeg få en til at gøre det for mig",
                        "Er der en af jer, jeg kan få lov at snakke med om det?",
                        "kan jeg få nogen til at udfylde den"]))
def test_someone_to_do_it_or_to_talk_to_is_a_person(text):
    assert detect(text).wants_person, text


@given(st.sampled_from(["hvor jeg skal henvende mig", "hvad jeg skal gøre",
                        "hvem jeg skal ringe til"]),
       st.sampled_from([". farvel", ", tak", ". hav en god dag"]))
def test_knowing_where_to_go_now_is_a_farewell(what, bye):
    c = detect(f"nå, så ved jeg {what}{bye}")
    assert c.farewell and not c.question, (what, bye)
