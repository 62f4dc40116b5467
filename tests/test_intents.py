"""Goodbyes in their many forms close a conversation; thanks followed by a new request
does not. Built from parts (a thanks or farewell, what the citizen will do next, and
filler), so that the cue is tested on combinations nobody listed, not on phrases."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.intents import detect, subject_text

THANKS = ["tak", "mange tak", "tusind tak", "tak skal du have", "tak skal De have",
          "thanks", "thank you", "farvel", "bye", "hej hej", "vi snakkes", "godnat",
          "hav en god dag", "ha' en rigtig god weekend", "fedt, tak", "godt nytår og tak",
          "glædelig jul", "tak ska' du ha'", "okay fint nok, tak", "nå, så ses vi",
          "fint nok, tak for nu"]
# Praise for the help said instead of thanks, built from who, how much and what.
PRAISE_WHO = ["du har været", "du var", "det var", "I har været", "de var"]
PRAISE_HOW = ["", "en ", "rigtig ", "så ", "virkelig ", "en rigtig ", "til "]
PRAISE_WHAT = ["stor hjælp", "god hjælp", "kæmpe hjælp", "hjælp", "sød", "flink",
               "hjælpsom"]
NEXT = ["så ringer jeg til dem", "så ved jeg det", "det var det hele", "glem det",
        "jeg fandt selv ud af det", "så må min søn hjælpe mig", "jeg prøver igen i morgen",
        "så skriver jeg til kommunen", "never mind, I'll call tomorrow", "vi klarer det selv",
        "så må jeg vel kigge der", "det gør jeg", "jeg prøver det lige", "det lyder godt",
        "godt at vide", "got it", "det skal jeg nok"]
OPENERS = ["", "okay ", "nå ", "nåh ja, ", "jamen ", "fint, ", "det er fint, "]
REQUESTS = ["hvordan søger jeg boligstøtte", "jeg skal også bruge et nyt pas",
            "hvad koster et kørekort?", "kan du også hjælpe med min flytning",
            "jeg vil gerne tale med en medarbejder", "hvornår har I åbent"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(OPENERS), st.sampled_from(THANKS), st.sampled_from(NEXT),
       st.booleans())
def test_a_goodbye_with_what_comes_next_closes(opener, thanks, then, thanks_first):
    text = f"{opener}{thanks}, {then}" if thanks_first else f"{opener}{then}. {thanks}"
    cues = detect(text)
    assert cues.thanks and not cues.question and not cues.needs_person, text


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(THANKS), st.sampled_from(NEXT), st.sampled_from(REQUESTS))
def test_thanks_with_a_new_request_does_not_close(thanks, then, request):
    cues = detect(f"{thanks}, {then}, men {request}")
    assert not cues.thanks, request


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(OPENERS), st.sampled_from(PRAISE_WHO), st.sampled_from(PRAISE_HOW),
       st.sampled_from(PRAISE_WHAT), st.sampled_from(["", "tak, ", "mange tak. "]))
def test_praise_for_the_help_is_a_goodbye(opener, who, how, what, thanks):
    text = f"{opener}{thanks}{who} {how}{what}"
    if what in ("sød", "flink", "hjælpsom") and (how in ("en ", "en rigtig ", "til ") or
                                                 who == "det var"):
        return  # not Danish
    cues = detect(text)
    assert cues.thanks and not cues.question, text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["sådan set", "egentlig", "faktisk", "vist", "bare", "nok"]),
                min_size=1, max_size=3, unique=True), st.sampled_from(["det", "alt", "det hele"]))
def test_that_was_all_with_fillers_is_a_goodbye(fillers, what):
    text = f"det var {' '.join(fillers)} {what}"
    assert detect(text).thanks, text


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["det var", "det er", "det var helt", "det er rigtig"]),
       st.sampled_from(["fint", "godt", "perfekt", "dejligt", "super"]),
       st.sampled_from(THANKS))
def test_approving_the_answer_then_thanks_is_a_goodbye(det, how, thanks):
    text = f"{det} {how}, {thanks}"
    assert detect(text).thanks, text


def test_a_closing_that_is_negated_or_goes_on_does_not_close():
    for text in ("det gør jeg ikke", "jeg prøver det ikke", "det lyder godt, men hvad koster det",
                 "forstået, men kan jeg også få et pas?"):
        assert not detect(text).thanks, text


def test_leaving_the_queue_however_said():
    for text in ("jeg venter ikke mere, farvel", "ved du hvad, jeg venter ikke længere",
                 "jeg gider ikke vente mere", "nej nu lægger jeg på", "så lægger jeg røret på",
                 "det tager for lang tid, jeg logger af"):
        assert detect(text).leaves, text


def test_a_request_then_an_also_question_is_two_questions():
    from bot.intents import questions
    for text in ("min mor skal bruge en rollator, og kan hun også få et handicapkort",
                 "jeg har ikke fået min årsopgørelse, og så vil jeg også høre om boligstøtte"):
        assert len(questions(text)) == 2, text
    assert len(questions("min søn og datter skal også have pas")) == 1


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["hvor lang tid", "hvor længe"]),
       st.sampled_from(["skal jeg regne med at", "må jeg forvente at", "skal vi sidde og",
                        "kommer jeg til at"]),
       st.sampled_from(["vente", "vente i telefonen", "holde"]))
def test_how_long_the_wait_however_asked(how_long, middle, wait):
    assert detect(f"{how_long} {middle} {wait}").asks_wait


def test_a_need_stated_then_a_question_is_two_questions():
    from bot.intents import questions
    for text in ("jeg skal have fornyet mit pas, og hvad koster egentlig et nyt kørekort",
                 "min mor mangler en rollator, og hvordan søger hun boligstøtte"):
        assert len(questions(text)) == 2, text
    assert len(questions("jeg skal have nyt pas og kørekort")) == 1


def test_who_can_i_talk_to_is_a_request_for_a_person():
    for text in ("hvem kan jeg snakke med om mit sundhedskort", "hvem skal jeg tale med",
                 "hvem kan man chatte med om boligstøtte",
                 "kan der ringe en op og forklare brevet", "vil I ringe mig op",
                 "Can I chat with an agent please?"):
        assert detect(text).wants_person, text


def test_a_farewell_inside_a_question_is_a_question():
    cues = detect("jeg vil gerne sige farvel til min gamle adresse, hvordan melder jeg flytning")
    assert cues.question and not cues.thanks


# --- a person, a case, a failed answer: by kind, not by phrase ---------------------

@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["", "kan du ikke bare ", "kan I ", "vil du ", "jeg vil gerne have at du "]),
       st.sampled_from(["stille mig om", "stil mig videre", "stille os om til kommunen"]))
def test_being_put_through_is_asking_for_a_person(opener, ask):
    assert detect(f"{opener}{ask}").wants_person


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["jeg vil gerne snakke med", "kan jeg tale med", "må jeg snakke med"]),
       st.sampled_from(["pladsanvisningen", "skoleafdelingen", "byggeafdelingen",
                        "visitator", "visitationen", "min sagsbehandler", "borgerservice",
                        "ældreafdelingen", "jobcentret", "en rådgiver"]))
def test_a_department_or_role_by_name_is_asking_for_a_person(ask, whom):
    assert detect(f"{ask} {whom}").wants_person, whom


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["someone", "somebody", "anyone"]),
       st.sampled_from(["call us", "from the town hall call me", "call me back",
                        "explain it to me", "help me with it"]))
def test_english_someone_to_call_or_explain_is_asking_for_a_person(who, what):
    text = f"Could {who} {what}?"
    assert detect(text).wants_person, text


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["det har jeg prøvet", "jeg har allerede prøvet det", "har prøvet det",
                        "it did not help", "that didn't work", "I already tried that"]),
       st.sampled_from(["", ", det virker stadigvæk ikke", ", still doesn't work"]))
def test_tried_already_is_not_helped(tried, still):
    assert detect(f"{tried}{still}").not_helped


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["hvorfor har de", "hvorfor de har", "hvorfor har kommunen"]),
       st.sampled_from(["skåret fredagen væk i min hjemmehjælp", "stoppet min kontanthjælp",
                        "sat min støtte ned", "frataget mig min pension"]))
def test_questioning_a_decision_about_me_is_my_own_case(why, what):
    assert detect(f"{why} {what}").own_case


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["", "ok, ", "okay ", "ja "]),
       st.sampled_from(["tak for begge dele", "tak for ingenting", "det var nok, tak",
                        "fair, tak", "fair nok, tak for det"]))
def test_more_goodbyes(opener, bye):
    assert detect(f"{opener}{bye}").thanks


def test_questions_to_a_department_stay_questions():
    for text in ("hvad laver skoleafdelingen", "hvor ligger borgerservice",
                 "hvornår har jobcentret åbent"):
        assert not detect(text).wants_person, text


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["det virker stadig {n}", "har {n} hørt noget", "det hjalp {n}"]),
       st.sampled_from(["ikk", "ik", "ikke"]))
def test_spoken_ikke_reads_as_ikke(frame, n):
    cues = detect(frame.format(n=n))
    assert cues.not_helped or cues.own_case, frame.format(n=n)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["kan jeg få fat i", "jeg vil gerne tale med", "kan jeg ringe til"]),
       st.sampled_from(["min sagsbehandler", "min rådgiver", "min kontaktperson",
                        "min jobkonsulent"]))
def test_my_own_caseworker_by_role_is_asking_for_a_person(ask, whom):
    assert detect(f"{ask} {whom}").wants_person


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["jeg har stadig ikke fået mine", "har endnu ikke fået min",
                        "jeg har STADIG ikke fået min"]),
       st.sampled_from(["sygedagpenge", "boligstøtte", "penge", "kontanthjælp", "bevilling"]))
def test_not_receiving_what_is_due_is_my_own_case(start, what):
    text = f"{start} {what}"
    assert detect(text).own_case, text


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["perfekt", "fint", "super", "okay"]),
       st.sampled_from(["så har jeg hvad jeg skal bruge", "hav en god dag",
                        "ha' en rigtig god weekend"]))
def test_a_good_day_wish_closes(opener, bye):
    assert detect(f"{opener}, {bye}").thanks


def test_a_wish_for_a_good_day_with_a_question_does_not_close():
    assert not detect("hav en god dag, men hvad koster et pas?").thanks


# Someone who does not respond, built from who, where and how it shows: 112.
WHO_DOWN = ["min mor", "min far", "min mand", "hun", "han", "naboen", "vores søn",
            "min bedstemor"]
WHERE_DOWN = ["ligger på gulvet", "ligger på badeværelsesgulvet", "ligger på køkkengulvet",
              "ligger på jorden", "ligger i sengen", "sidder i haven"]
HOW_DOWN = ["og svarer ikke", "og reagerer ikke", "og bevæger sig ikke",
            "og svarer ikke når jeg snakker til hende", "og rører sig ikke"]


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(WHO_DOWN), st.sampled_from(WHERE_DOWN), st.sampled_from(HOW_DOWN),
       st.sampled_from(["", "hjælp ", "undskyld men "]),
       st.sampled_from(["", ", og hjemmeplejen er ikke kommet", "!!", " hvad gør jeg"]))
def test_someone_not_responding_is_an_emergency(who, where, how, opener, tail):
    text = f"{opener}{who} {where} {how}{tail}"
    assert detect(text).emergency, text


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(WHO_DOWN), st.sampled_from(["snakker til", "råber på", "kalder på"]))
def test_not_answering_when_spoken_to_is_an_emergency(who, spoken):
    text = f"{who} svarer ikke når jeg {spoken} {'hende' if 'mor' in who else 'ham'}"
    assert detect(text).emergency, text


def test_not_answering_the_phone_or_letters_is_no_emergency():
    for text in ("kommunen svarer ikke når jeg ringer", "min sagsbehandler svarer ikke på "
                 "mine mails", "de svarer ikke selvom jeg har skrevet tre gange",
                 "mit barn ligger på gulvet og leger med klodser, hvornår åbner i?",
                 "min søn vil ikke vågne om morgenen til skole, kan han få skolebus?",
                 "jeg vil klage, min far lå på gulvet i 4 timer før naboen fandt ham"):
        assert not detect(text).emergency, text


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["", "god morgen, ", "hej ", "goddag. ", "hallo, "]),
       st.sampled_from(["kan du hjælpe mig med noget", "må jeg spørge om en ting",
                        "jeg har lige et spørgsmål", "kan I hjælpe mig med et spørgsmål",
                        "jeg har et lille problem", "could you help me with something",
                        "can I ask you something"]),
       st.sampled_from(["", "?", "??", " :)"]))
def test_asking_leave_to_ask_is_vague(greeting, ask, end):
    text = f"{greeting}{ask}{end}"
    cues = detect(text)
    assert cues.vague and not cues.needs_person, text


def test_a_question_after_leave_to_ask_is_not_vague():
    for text in ("kan du hjælpe mig med noget: hvad koster et pas?",
                 "jeg har et spørgsmål om mit sundhedskort",
                 "kan du hjælpe mig med at bestille et nyt sundhedskort"):
        assert not detect(text).vague, text


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["der er ingen der tager telefonen", "I svarer aldrig på mine mails",
                        "ingen ringer tilbage", "jeg har ringet tre gange",
                        "kommunen svarer ikke på mails", "jeg kan ikke komme igennem"]),
       st.sampled_from(["mit pas", "min boligstøtte", "mit sundhedskort", "min byggesag"]))
def test_how_the_citizen_tried_to_reach_us_is_not_the_subject(unreached, subject):
    text = f"hvor langt er sagen om {subject}, {unreached}"
    rest = subject_text(text)
    assert subject.split()[-1] in rest and not any(
        w in rest for w in ("telefon", "mails", "ringet", "igennem", "tilbage")), rest


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["hvor længe tror du", "hvor lang tid regner du med", "hvor længe vil du"
                        " tro"]),
       st.sampled_from(["der går", "det tager", "det varer"]),
       st.sampled_from(["", " før der er nogen", " før det er min tur", "?"]))
def test_a_guess_at_the_wait_is_about_the_wait(how, goes, until):
    text = f"{how} {goes}{until}"
    assert detect(text).asks_wait, text


@given(st.sampled_from(["ka a it snak med en", "ka jeg snak med en", "kan a tal med en",
                        "må a snakk med en?"]))
def test_spoken_and_dialect_asks_for_a_person(ask):
    assert detect(ask).wants_person, ask


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["kan min samtale", "kan mit møde på jobcentret", "må min tid",
                        "kan vores aftale", "kan min indkaldelse"]),
       st.sampled_from(["flyttes", "aflyses", "rykkes til næste uge", "udskydes"]),
       st.sampled_from(["", "?", ", jeg er syg"]))
def test_my_appointment_moved_by_them_is_my_own_case(mine, moved, tail):
    verb, _, rest = moved.partition(" ")
    text = f"{mine} {verb}{' ' + rest if rest else ''}{tail}"
    assert detect(text).own_case, text


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["kan I ikke bare", "vil du ikke lige", "kan I", "kan kommunen ikke"]),
       st.sampled_from(["aflyse", "flytte", "rykke", "ændre"]),
       st.sampled_from(["den", "min tid", "mit møde", "det"]))
def test_asking_them_to_move_it_for_me_is_my_own_case(ask, verb, what):
    text = f"{ask} {verb} {what} for mig"
    cues = detect(text)
    assert cues.own_case, text


def test_asking_how_to_move_it_myself_is_a_question():
    for text in ("hvordan aflyser jeg min tid", "kan jeg selv flytte min tid på nettet",
                 "hvordan flytter jeg min tid i borgerservice"):
        assert not detect(text).own_case, text


@given(st.sampled_from(["jeg orker ikke logge ind", "gider ikke sidde i telefonkø",
                        "jeg magter slet ikke at ringe rundt"]))
def test_why_not_myself_is_not_the_subject(reluctant):
    rest = subject_text(f"kan I ikke bare aflyse min tid, {reluctant}")
    assert not any(w in rest for w in ("logge", "telefonkø", "ringe")), rest


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["jeg er dybt uenig i", "vi er helt uenige i", "jeg er uenig med jer om",
                        "jeg vil anke", "I disagree with"]),
       st.sampled_from(["den afgørelse jeg har fået", "afgørelsen om min hjemmehjælp",
                        "the decision", "beslutningen"]))
def test_disagreeing_with_a_decision_is_a_complaint(disagree, decision):
    if disagree.startswith("I ") != decision.startswith("the"):
        return  # one language per turn
    if disagree == "jeg vil anke" and decision != "beslutningen":
        return
    text = f"{disagree} {decision}"
    assert detect(text).complaint, text


def test_asking_what_to_do_when_disagreeing_is_a_question():
    assert not detect("hvad gør jeg hvis jeg er uenig i min ejendomsvurdering").complaint


# Heart and stroke signs, told by whoever sees them: 112.
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["min mand", "min far", "han", "hun", "min mor"]),
       st.sampled_from(["har ondt i brystet", "har trykken for brystet", "har jag i brystet",
                        "har smerter i brystet"]),
       st.sampled_from(["", " og venstre arm sover", " og armen er følelsesløs",
                        " og munden hænger", ", hvilken læge kan se ham i dag?"]))
def test_heart_and_stroke_signs_are_an_emergency(who, pain, more):
    text = f"{who} {pain}{more}"
    assert detect(text).emergency, text


@given(st.sampled_from(["My husband has had pain in his chest for 20 minutes",
                        "his left arm feels numb", "my mum suddenly can't speak",
                        "there is pressure in her chest"]))
def test_heart_and_stroke_signs_in_english_are_an_emergency(text):
    assert detect(text).emergency, text


def test_other_aches_are_no_emergency():
    for text in ("jeg har ondt i ryggen, kan jeg få hjælpemidler",
                 "min arm er brækket, kan jeg få hjemmehjælp", "min mor kan ikke gå på trapper"):
        assert not detect(text).emergency, text


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["kan der ikke komme én ud og vise mig det",
                        "kan I komme hjem til mig", "må der komme nogen forbi",
                        "er der ikke en man kan ringe til", "findes der en jeg kan tale med",
                        "kan I ikke bare registrere det for mig", "kan du ordne det for mig",
                        "vil I ikke melde skaden for os",
                        "jeg vil gerne have en til at kigge på det",
                        "kan jeg få nogen der kan gennemgå det med mig"]),
       st.sampled_from(["", "?", " og få hjælp med ansøgningen?", ", jeg er 83"]))
def test_a_visit_someone_to_call_or_doing_it_for_me_asks_for_a_person(ask, tail):
    text = f"{ask}{tail}"
    assert detect(text).wants_person, text


def test_explaining_or_showing_it_to_me_is_a_question_for_the_bot():
    for text in ("kan du forklare det for mig", "kan du vise det for mig",
                 "kan du oversætte den for mig"):
        assert not detect(text).wants_person, text


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["mine sygedagpenge stopper", "min boligstøtte bliver sat ned",
                        "mit tilskud ophører", "min hjemmehjælp er stoppet"]),
       st.sampled_from(["", " 1. december", ". hvem har besluttet det?"]))
def test_what_is_stopped_named_first_is_my_own_case_and_stays_the_subject(stopped, tail):
    text = f"jeg har fået et brev om at {stopped}{tail}"
    assert detect(text).own_case, text
    noun = stopped.split()[1]
    assert noun in subject_text(text), subject_text(text)


@given(st.sampled_from(["kan I se om det overhovedet er sendt?", "kan du tjekke om den er "
                        "blevet godkendt", "kan I undersøge om mit kort er sendt"]))
def test_asking_them_to_check_whether_it_happened_is_my_own_case(text):
    assert detect(text).own_case, text


@given(st.sampled_from(["skoleafdelingen", "pladsanvisningen", "byggesagsafdelingen",
                        "ældreforvaltningen"]))
def test_a_department_named_stays_as_the_subject(department):
    rest = subject_text(f"jeg vil gerne snakke med nogen fra {department}")
    stem = department[:4]
    assert stem in rest, rest


@given(st.sampled_from(["formularen", "blanketten på jeres side", "hjemmesiden", "linket"]),
       st.sampled_from(["men den siger bare fejl 500", "og det virker ikke", "uden held"]))
def test_a_form_or_page_tried_did_not_help(what, how):
    text = f"jeg har prøvet {what} {how}"
    assert detect(text).not_helped, text


@given(st.sampled_from(["hvor lang tid cirka?", "kø?", "hvor længe?", "er der mange foran mig?"]),
       st.sampled_from(["", " skal hente mine unger kl 12", " jeg har en aftale om en time"]))
def test_a_short_first_question_about_the_wait_is_about_the_wait(ask, tail):
    text = f"{ask}{tail}"
    assert detect(text).asks_wait, text


@given(st.sampled_from(["jeg orker ikke at sidde og vente", "gider ikke vente mere",
                        "jeg kan ikke blive ved med at vente", "magter ikke at vente her"]))
def test_not_wanting_to_wait_leaves_the_queue(text):
    assert detect(f"glem det, {text}, jeg prøver igen i aften").leaves, text


@given(st.sampled_from(["typisk", "øv", "ærgerligt", "pyt", "nå ja"]),
       st.sampled_from(["tak alligevel", "okay tak", "tak for det"]))
def test_a_sigh_then_thanks_is_a_goodbye(sigh, thanks):
    text = f"{sigh}. {thanks}"
    assert detect(text).thanks, text


@given(st.sampled_from(["kan du også hjælpe med noget andet?", "kan I hjælpe mig med en anden "
                        "ting", "vil du også hjælpe med noget helt andet"]))
def test_asking_for_help_with_something_else_unnamed_is_vague(text):
    assert detect(text).vague, text


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["kan en af jer ik ringe", "kan nogen ringe", "vil en af jeres folk ringe",
                        "kan du ringe"]),
       st.sampled_from(["hende op", "ham op", "min mor op", "os op"]),
       st.sampled_from(["", " og tage det trin for trin", "? hun hører dårligt"]))
def test_someone_to_ring_them_up_asks_for_a_person(ask, whom, tail):
    text = f"{ask} {whom}{tail}"
    assert detect(text).wants_person, text


@given(st.sampled_from(["stil mig venligst om til en af jeres kollegaer af kød og blod",
                        "Er der en voksen til stede?", "altså et menneske. ik en robot",
                        "stil mig lige videre", "en person af kød og blod tak"]))
def test_a_human_asked_for_with_a_figure_of_speech(text):
    assert detect(text).wants_person, text


@given(st.sampled_from(["kan den flyttes?", "kan mødet rykkes", "må tiden aflyses",
                        "kan I tjekke hvad der sker", "det er mig med sagen fra sidste uge",
                        "er der nyt i sagen?", "hjemmehjælpen skulle have været her kl 8",
                        "min kontanthjælp er blevet stoppet uden varsel",
                        "jeg vil have en forklaring på hvorfor"]))
def test_more_ways_to_ask_about_my_own_case(text):
    assert detect(text).own_case, text


@given(st.sampled_from(["det er simpelthen ikke godt nok", "det er under al kritik",
                        "det er en skandale", "det er helt hen i vejret"]))
def test_more_ways_to_complain(text):
    assert detect(text).complaint, text


@given(st.sampled_from(["har meldt det 2 gange på nettet", "jeg har allerede anmeldt det tre "
                        "gange", "vi har skrevet om det flere gange"]))
def test_reported_already_is_not_the_subject(reported):
    rest = subject_text(f"{reported}. jeg vil tale med nogen om min skraldespand")
    assert "meldt" not in rest and "skrevet" not in rest and "skraldespand" in rest, rest


@given(st.sampled_from(["tak. undskyld tonen, det er bare hårdt lige nu", "👍",
                        "hvad fanden, så må jeg jo ringe derover. farvel", "👍 tak"]))
def test_goodbyes_with_an_apology_an_oath_or_a_thumb(text):
    assert detect(text).thanks, text


@given(st.sampled_from(["det hjælper mig jo ik en skid", "det hjalp os altså ikke",
                        "stadig samme fejl", "har prøvet log ud og ind, ny browser, alt det der",
                        "jeg har prøvet at genstarte og opdatere og det hele"]))
def test_more_ways_to_say_it_did_not_help(text):
    assert detect(text).not_helped, text


def test_asking_whether_something_would_help_is_no_complaint_about_the_answer():
    assert not detect("hjælper det ikke at ringe?").not_helped


@given(st.sampled_from(["tak, jeg håber virkelig der sker noget", "ok 114 var det. tak",
                        "tak, håber det hjælper"]))
def test_thanks_with_a_hope_or_an_acknowledgement_is_a_goodbye(text):
    assert detect(text).thanks, text


@given(st.sampled_from(["Kan I se hvad den drejer sig om", "kan du tjekke hvad rykkeren er for",
                        "kan I finde ud af hvad beløbet handler om"]))
def test_asking_them_what_a_bill_is_about_is_my_own_case(text):
    assert detect(text).own_case, text
