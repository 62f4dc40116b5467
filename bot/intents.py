"""Intent cues in a citizen turn: what the citizen wants beyond information.

Retrieval finds the topic; these cues find what the policy needs on top: a request
for a person, a question about the citizen's own case, a complaint, a "that did
not help", thanks and goodbye, a greeting, a yes/no, a satisfaction score, an
emergency. Patterns cover written and spoken Danish and common English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ddh.numbers import word_value
from ddh.redaction import strip_labels


def _rx(*parts: str) -> re.Pattern[str]:
    # Longest alternative first, so "tak for hjælpen" is one cue, not "tak" plus words.
    ordered = sorted(parts, key=len, reverse=True)
    return re.compile(r"(?<![\wæøå])(?:" + "|".join(ordered) + r")(?![\wæøå])", re.IGNORECASE)


# Degree words in praise: "rigtig", "så", "virkelig" …
_VERY = r"(?:(?:så|rigtig|rigtigt|meget|virkelig|super|utrolig|vildt|altså) )*"
_VERY_EN = r"(?:(?:so|very|really|super|incredibly) )*"
PERSON = _rx(
    r"(?:tale|snakke|chatte|tal|snak|taler|snakker) med (?:et |en |min |vores )?"
    r"(?:rigtig |rigtigt |levende )?"
    r"(?:menneske|person|medarbejder|sagsbehandler|ansat|nogen|dig selv|en fra kommunen|"
    r"supporter|supportmedarbejder|supporten|support|hotlinen|helpdesken|kundeservice)",
    r"(?:tale|snakke|chatte|snak|snakk|tal|få fat i|komme i kontakt med) med "
    r"(?:en i borgerservice|en fra borgerservice|en fra kommunen|borgerservice|kommunen|"
    r"nogen|jer|en(?=\s*(?:$|[,.?!]|om |fra |af |der |som |hos |i |ang)))",
    r"(?:få fat i|komme i kontakt med|ringe til) (?:en|nogen|borgerservice|kommunen|jer|"
    r"supporten|kundeservice|hotlinen|helpdesken)",
    r"ring(?:e)? (?:til )?mig(?: op)?(?: på)?", r"(?:i|du) (?:kan|må) ringe (?:til )?mig(?: på)?",
    r"et (?:rigtigt |levende )?menneske", r"en (?:rigtig |levende )?person",
    r"en medarbejder", r"en sagsbehandler", r"stil mig (?:videre|om)", r"omstil(?:le|ling)?",
    r"(?:kan|må) jeg få fat i (?:nogen|en)", r"ring(?:e)? mig op", r"blive ringet op",
    r"(?:speak|talk|chat)(?: to| with)? (?:a |an )?(?:human|person|agent|someone|somebody|"
    r"real person|staff|employee)",
    r"real person", r"human agent", r"call me back",
    r"(?:have|få) fat (?:i|på) (?:en|nogen|jer)", r"(?:en af )?jeres medarbejdere",
    r"(?:get|have) (?:someone|somebody|a person|an agent) (?:to help|on the phone|to call)",
    r"(?:someone|somebody|a person) (?:to )?help me", r"(?:speak|talk) to someone",
    r"vil ikke tale med en (?:robot|maskine)",
    r"(?:kan|vil|må) (?:der|i|du|nogen|en) (?:ringe|kontakte) (?:mig |en )?op",
    r"ringe (?:mig|en) op",
    r"hvem (?:kan|skal|må) (?:jeg|vi|man) (?:tale|snakke|chatte) med",
    # put through, in any form: "kan du ikke bare stille mig om"
    r"stil(?:le|ler)? (?:mig|os) (?:videre|om)",
    r"(?:få fat i|fat på|tale med|snakke med|ringe til|kontakte) (?:min|mit|vores) "
    r"(?:sagsbehandler|rådgiver|kontaktperson|jobkonsulent|visitator|hjemmehjælper)",
    r"(?:vil|kan|må) (?:gerne )?ringes op",
    # a department or a role of the municipality by name: "snakke med pladsanvisningen",
    # "tale med visitator", "skoleafdelingen"
    r"(?:tale|snakke|chatte|tal|snak|taler|snakker) med (?:en |et |nogen (?:fra|i|på) )?"
    r"(?:\w+(?:afdeling|afdelingen|anvisning|anvisningen|kontoret|forvaltningen)|"
    r"visitator(?:en)?|visitationen|sagsbehandleren|rådgiver(?:en)?|konsulent(?:en)?|"
    r"borgerservice|jobcentret|hjemmeplejen)",
    # someone on the phone: "få en visitator i telefonen", "få en af jer til at …"
    r"(?:få|have) (?:en|nogen|fat i en) (?:\S+ ){0,3}i (?:telefonen|røret)",
    r"(?:jeg|vi|man) (?:kan )?(?:få|have) i (?:telefonen|røret)",
    r"(?:få|have) (?:en|nogen) af jer",
    r"kan (?:i|du|nogen) (?:ikke )?(?:se|kigge) på (?:det|den|sagen)",
    r"(?:someone|somebody|anyone|anybody)(?: \w+){0,4} (?:call|ring|phone|contact) (?:me|us)",
    # someone to ring them up: "kan en af jer ik ringe hende op", "vil gerne have at en af
    # jeres folk ringer ham op"
    r"(?:en af jer|en af jeres (?:folk|medarbejdere|kollegaer)|nogen af jer|nogen|en|én|I|du) "
    r"(?:\w+ ){0,2}(?:ringe|ringer|kontakte|kontakter) (?:mig|hende|ham|os|dem|min \w+) op",
    r"(?:ringe|ringer) (?:hende|ham|os|dem|min (?:mor|far|mand|kone|nabo)) op",
    r"stil(?:le|ler)? (?:mig|os) (?:\w+ )?(?:videre|om)",
    r"(?:kollega|kollegaer|menneske|mennesker|person|medarbejder)(?:e|er)? af kød og blod",
    r"(?:en|nogen) voksen til stede", r"(?:ikke|ik|ikk) en (?:robot|maskine|bot|computer)",
    # someone got to do it: "jeg vil gerne have en til at kigge på det", "få nogen der kan
    # ringe mig op"
    r"(?:have|få) (?:en|én|nogen|et menneske) (?:til at|der kan|som kan) (?:kigge|se|hjælpe|"
    r"ringe|tjekke|undersøge|gennemgå|vurdere|forklare)",
    # a visit: "kan der ikke komme én ud og vise mig det"
    r"(?:kan|må|vil) (?:der|i|nogen|en|én) (?:ikke )?(?:godt )?komme (?:en |én |nogen )?"
    r"(?:ud|forbi|hjem|ud til mig|hjem til mig|hjem til os)",
    # someone to call: "er der ikke en man kan ringe til"
    r"(?:er|findes) der (?:ikke )?(?:en|én|nogen|et sted) (?:man|jeg|vi) kan (?:ringe|tale|snakke|"
    r"skrive) (?:til|med)",
    # asking them to do it: "kan I ikke bare registrere det for mig" (not "forklare det for
    # mig", which a guide does)
    r"(?:kan|vil|må) (?:i|du|kommunen|nogen) (?:ikke )?(?:bare |lige |godt )?"
    r"(?!forklare|vise|sige|skrive|oversætte|læse|gentage|stave)[\wæøå]+e "
    r"(?:det|den|dem|sagen|skaden|ansøgningen|blanketten)(?: \w+)? for (?:mig|os|hende|ham)",
    r"(?:can|could) (?:someone|somebody|anyone|anybody) (?:explain|go through|look at|help)",
)
OWN_CASE = _rx(
    r"(?:min|vores) sag", r"(?:mine|vores) sager", r"status på",
    r"hvor(?: langt)? er (?:min|vores)", r"hvornår får (?:jeg|vi) (?:et )?svar",
    r"hvor langt (?:er )?(?:jeg|vi|han|hun) (?:er )?(?:kommet|nået)",
    r"(?:har|havde) (?:an)?søgt", r"(?:min|vores) ansøgning",
    r"afgørelse(?:n)?", r"har ikke hørt noget", r"fået (?:et )?afslag", r"hvorfor fik (?:jeg|vi)",
    r"sagsbehandling(?:stid)?", r"hvorfor har jeg fået", r"(?:jeg|vi) søgte om",
    r"(?:har )?(?:stadig )?ikke fået (?:et |noget )?svar", r"venter (?:stadig )?på (?:et )?svar",
    r"ikke hørt (?:noget|fra|et ord|en lyd|et pip)",
    r"hvor langt er (?:den|det|sagen|ansøgningen|de|i|jeres behandling)",
    r"(?:har )?ventet (?:\w+ ){0,5}på (?:et )?(?:svar|afgørelse|at høre)",
    r"my case", r"my application", r"status of my",
    r"(?:har|havde) en sag (?:kørende|i gang|liggende|hos jer)",
    r"hvor langt (?:den|det|sagen|ansøgningen) er",
    # a decision about the citizen, questioned: "hvorfor har de skåret fredagen væk i min
    # hjemmehjælp", "de stoppe mine penge?", a letter from the municipality about them
    r"hvorfor (?:(?:har|er) (?:de|i|kommunen|man|jobcentret)|(?:de|i|kommunen|man|"
    r"jobcentret) (?:har|er)) (?:\w+ ){0,3}(?:skåret|stoppet|frataget|fjernet|sat|"
    r"nedsat|sænket|halveret|ændret|lukket|trukket)",
    r"(?:stoppe[tr]?|stopper|standset|skåret ned i|nedsat|trukket i) (?:\w+ )?(?:mine|min|mit) "
    r"(?:penge|ydelse|hjælp|hjemmehjælp|kontanthjælp|pension|støtte|dagpenge|sygedagpenge)",
    r"brev fra (?:kommunen|kommune|jer|jobcentret|borgerservice) om (?:min|mit|mine)",
    r"(?:har )?(?:stadig |endnu |stadigvæk )?ikke fået (?:mine|min|mit) (?:\w+ )?(?:penge|"
    r"\w*dagpenge|\w*hjælp|\w*ydelse|\w*pension|\w*støtte|\w*tilskud|bevilling|svar)",
    r"hvor langt (?:\w+ ){0,3}(?:nede|fremme|oppe|henne) på (?:listen|ventelisten)",
    r"(?:sendte|sendt|indsendt) en ansøgning",
    r"hvem (?:har |der har )?(?:besluttet|bestemt|afgjort|truffet (?:den )?(?:beslutning|"
    r"afgørelse))",
    r"(?:kan|må) (?:den|det|tiden|samtalen|mødet|aftalen|besøget) (?:\w+ ){0,2}(?:flyttes|aflyses|"
    r"rykkes|udskydes|ændres)",
    r"(?:kan|vil) (?:i|du) (?:\w+ )?(?:tjekke|undersøge|se|finde ud af) hvad der (?:sker|foregår)",
    r"(?:kan|vil) (?:i|du) (?:\w+ )?(?:tjekke|undersøge|se|finde ud af) hvad (?:den|det|regningen|"
    r"brevet|rykkeren|beløbet) (?:drejer sig om|handler om|er for)",
    r"(?:det er mig|jeg skrev|jeg ringede) (?:\w+ )?(?:med|om) (?:sagen|den sag)",
    r"sagen fra (?:sidste uge|i går|forleden|i sidste måned)",
    r"er der (?:noget )?nyt (?:i|om|på) (?:sagen|den|det|min sag|vores sag)",
    r"(?:de|hun|han|hjemmehjælpen|hjemmeplejen|chaufføren|madservice) skulle (?:have|ha'?) "
    r"været (?:her|der|hos \w+)",
    r"(?:vil|skal) have en forklaring(?: på hvorfor)?",
    r"kan (?:i|du) (?:se|tjekke|undersøge|finde ud af) om (?:det|den|mit|min|mine|vores|han|hun) "
    r"(?:\w+ ){0,2}(?:er|blev|bliver|har)",
    r"(?:a |the )?letter (?:from|about) (?:the municipality|the jobcentre|my)",
    # a meeting or appointment of mine to be moved or cancelled by them: "kan min samtale
    # flyttes?", "kan I ikke bare aflyse den for mig"
    r"(?:kan|må) (?:jeg få )?(?:min|mit|vores) (?:\w+ )?(?:samtale|møde|tid|aftale|besøg|"
    r"indkaldelse)(?:n|en|et)? (?:\w+ ){0,3}(?:flyttes|aflyses|ændres|rykkes|udskydes)",
    r"(?:kan|vil|må) (?:i|du|de|kommunen|jobcentret|borgerservice) (?:ikke )?(?:bare |lige |"
    r"godt )?(?:flytte|aflyse|ændre|rykke|udskyde) (?:min|mit|vores|den|det)(?: \w+)? "
    r"(?:for (?:mig|os))",
    r"(?:can|could) (?:you|they) (?:move|cancel|reschedule|change) (?:my|the|it|that)"
    r"(?: \w+)? for me",
    # something agreed that did not happen: "de kommer ikke om morgenen som aftalt"
    r"(?:ikke|ik|ikk) (?:\w+ ){0,5}som (?:aftalt|lovet|planlagt|bevilget)",
    r"where is my \w+", r"(?:has|have) (?:still )?not (?:arrived|come)",
    r"hvad er status(?:en)?(?: på)?", r"(?:men )?(?:intet|ingenting|ikke noget) sker",
    r"der sker (?:intet|ingenting|ikke noget|ikke en dyt)",
    # a bill or reminder for what is paid, to be put right: "jeg har fået en rykker, men
    # jeg har altså betalt den", "vil gerne have det rettet"
    r"(?:rykker|regning|opkrævning|rykkeren|regningen)(?: \S+){0,8} (?<!ikke )(?<!ik )(?<!ikk )"
    r"(?:har|havde) (?:jeg |vi )?(?:altså |jo |allerede |da )?betalt",
    r"(?:vil gerne|skal|må|vil) have (?:det|den|dem|fejlen|beløbet|regningen|rykkeren) "
    r"(?:rettet|ændret|annulleret|fjernet|slettet)",
)
# Own-case cues that also name the subject: they count, but stay in the subject text.
OWN_CASE_NAMED = _rx(
    r"min (?:byggesag|bevilling|ansøgning om \w+)", r"vores byggesag",
    # what is stopped, named first: "mine sygedagpenge stopper 1. december"
    # waiting for something for some time: "hvor bliver mit pas af??? fik besked for 3
    # uger siden" (a question of how long it usually takes has no time ago)
    r"hvor bliver (?:det|den|de|dem|(?:mit|min|mine) (?:\w+ )?\w+|pengene|svaret) af"
    r"(?:\W+\S+){0,14}?\W+for (?:\d+|en|et|to|tre|fire|fem|seks|syv|otte|flere) "
    r"(?:dage?|uger?|måned(?:er)?|mdr)\.? siden",
    r"for (?:\d+|en|et|to|tre|fire|fem|seks|syv|otte|flere) (?:dage?|uger?|måned(?:er)?|mdr)\.? "
    r"siden(?:\W+\S+){0,14}?\W+hvor bliver (?:det|den|de|dem|(?:mit|min|mine) (?:\w+ )?\w+|pengene|"
    r"svaret) af",
    # ordered or applied for, and not come: "jeg bestilte pas for 3 uger siden og det er
    # ikke kommet endnu"
    r"(?:bestilte|bestilt|søgte|søgt|ansøgte|sendte|sendt|indsendte) (?:\S+ ){0,10}(?:er|var|har) "
    r"(?:\w+ )?(?:stadig |endnu |stadigvæk )?(?:ikke|ik|ikk) (?:kommet|ankommet|dukket op|"
    r"modtaget|fået)",
    # ordered, reported or sent, and still not done: "jeg meldte i torsdags at spanden
    # ikke var tømt, men den står her stadig", "udfyldte skemaet … har ikke fået en krone"
    r"(?:bestilte|bestilt|meldte|meldt|anmeldte|udfyldte|udfyldt|søgte|søgt|ansøgte|sendte|"
    r"sendt|indsendte) (?:\S+ ){0,14}(?:(?:stadig|stadigvæk|endnu) (?:ikke|ik|ikk|står|ligger|"
    r"intet|ingen)|(?:står|ligger|er) (?:\w+ )?(?:stadig|stadigvæk)|(?:ikke|ik|ikk) (?:fået|"
    r"modtaget|hørt) (?:\S+ ){0,3}endnu)",
    # not received, some time after: "jeg har ikke modtaget mit nye sundhedskort, og jeg
    # flyttede for 5 uger siden"
    r"(?:ikke|ik|ikk) (?:modtaget|fået) (?:mit|min|mine) (?:\S+ ){1,10}for (?:\d+|en|et|to|tre|"
    r"fire|fem|seks|syv|otte) (?:dage|dag|uger|uge|måneder|måned) siden",
    # a payment that did not come: "min kontanthjælp er ik kommet ind i dag"
    r"(?:mine|min|mit) (?:\w+ )?(?:penge|\w*dagpenge|\w*hjælp|\w*ydelse|\w*pension|\w*støtte|"
    r"\w*tilskud|løn|udbetaling) (?:er|var|blev) (?:\w+ )?(?:ikke|ik|ikk) (?:kommet|gået ind|"
    r"udbetalt|sat ind)",
    r"(?:mine|min|mit) (?:\w+ )?(?:penge|\w*dagpenge|\w*hjælp|\w*ydelse|\w*pension|\w*støtte|"
    r"\w*tilskud|bevilling) (?:stopper|stoppes|er stoppet|bliver stoppet|bliver sat ned|"
    r"nedsættes|er nedsat|bliver frataget|ophører|er blevet (?:stoppet|sat ned|nedsat|"
    r"frataget|fjernet|skåret ned|standset))",
)
COMPLAINT = _rx(r"klag(?:e|er|ede)?", r"vil klage", r"utilfreds", r"uacceptabel(?:t)?",
                r"complain(?:t)?", r"dårlig behandling",
                # disagreeing with a decision is the start of a complaint: "jeg er dybt
                # uenig i den afgørelse", "vi vil anke beslutningen"
                r"(?:dybt |helt |meget |totalt |slet ikke )?(?:uenig|uenige) (?:i|med|om)",
                r"ank(?:e|er|ede) (?:afgørelsen|beslutningen|den|det)",
                r"(?:simpelthen |slet |bare |overhovedet )?ikke godt nok", r"under al kritik",
                r"(?:en )?skandale", r"helt (?:hen i vejret|urimeligt|uhørt)",
                r"(?:disagree|do not agree|don'?t agree) with (?:the|this|that|your) "
                r"(?:decision|ruling)")
NOT_HELPED = _rx(
    r"det hjalp ikke", r"hjælper ikke", r"hjalp mig ikke", r"det (?:er|var) ikke det jeg",
    r"forstår (?:det )?ikke", r"forstår jeg ikke", r"virker (?:stadig )?ikke",
    r"det kan jeg ikke bruge",
    r"kom ikke videre", r"didn'?t help", r"does(?:n'?t| not) help", r"not what i asked",
    r"virkede ikke", r"nej(?: tak)?,? det hjalp ikke",
    # it was tried already and still fails: "det har jeg prøvet, det virker stadigvæk ikke"
    r"(?:det |dét )?(?:har|havde) jeg (?:allerede |også )?prøvet",
    r"(?:jeg )?har (?:allerede |også )?prøvet (?:det|alt|dét)",
    r"(?:har|havde) (?:gjort|prøvet|fulgt) (?:det|alt|hvad|trinnene|vejledningen)"
    r"(?: (?:du|i|den|de) (?:skriver|siger|skrev|sagde|beskriver))?",
    r"virker (?:stadigvæk|fortsat) ikke",
    r"(?:hjælp(?:er|ede|te)|hjalp) (?:mig|os) (?:\w+ )?ikke", r"stadig (?:det )?samme \w+",
    r"(?:har|havde) prøvet (?:[\w,.-]+ ){0,8}(?:alt det der|alt muligt|det hele)",
    r"(?:har|havde) (?:allerede )?prøvet (?:\w+ ){0,3}(?:formularen|blanketten|siden|"
    r"hjemmesiden|linket|appen|selvbetjeningen|løsningen)",
    r"(?:it|that|this) (?:did not|didn'?t|does not|doesn'?t) (?:help|work)",
    r"still (?:does not|doesn'?t|did not|didn'?t) work", r"(?:already )?tried that",
    r"(?:jeg )?ikke forstår", r"(?:i )?(?:don'?t|do not) understand",
    # "det svar kunne jeg ikke bruge til en skid", "kan ikke bruge det til noget"
    r"(?:det|dét|det svar|svaret|den|den vejledning|vejledningen) (?:kunne|kan) (?:jeg|vi) "
    r"(?:slet |altså |overhovedet )?(?:ikke|ik|ikk) bruge",
    r"(?:kunne|kan) (?:jeg|vi)? ?(?:slet |altså )?(?:ikke|ik|ikk) bruge (?:det|dét|svaret|den)? ?"
    r"(?:til )?(?:noget|en skid|en dyt|en bønne|en klap|meget)",
)
THANKS = _rx(r"tak", r"tusind tak", r"mange tak", r"tak for hjælpen", r"thanks?", r"thank you",
             r"super", r"perfekt", r"fint", r"godt", r"det hjalp", r"det var det", r"farvel",
             r"hej hej", r"bye", r"goodbye", r"det var alt", r"ikke mere", r"nej tak", r"great",
             r"det (?:er|var) (?:helt |rigtig |meget )?(?:fint|godt|fedt|perfekt|dejligt|"
             r"super|flot|nemt)", r"så er jeg klar", r"det var nok",
             r"tak for (?:begge dele|det hele|alt|ingenting|ingen ting|intet)",
             r"(?:okay |ok )?fair(?: nok| enough)?", r"that'?s all", r"that helped", r"vi ses",
             r"for hjælpen", r"for svaret", r"for det", r"skal du have", r"skal de have",
             # "mange tak for Deres venlige hjælp", "tak for oplysningen"
             r"for (?:din |jeres |deres |den |al (?:den |jeres )?)?(?:venlige |gode |store |"
             r"hurtige |fine )?(?:hjælp|svar|svaret|vejledning(?:en)?|oplysning(?:en|er|erne)?|"
             r"information(?:en)?|tiden|forklaring(?:en)?)",
             r"for your help",
             r"det var (?:lige )?(?:det|hvad) jeg (?:skulle bruge|manglede|ledte efter|søgte)",
             r"nu ved jeg det", r"det kan jeg bruge", r"that'?s what i needed",
             r"skal (?:du|i|de) ha'?", r"tak alligevel", r"thx", r"ty", r"tak tak",
             r"cheers", r"takker", r"mange tak for det", r"tak for nu", r"for nu",
             # taking the answer in ("det lyder godt", "godt at vide", "got it")
             r"det lyder (?:godt|fint|rigtigt|fornuftigt|nemt)", r"det giver mening",
             r"(?:det er )?godt at vide", r"det var godt at vide", r"forstået", r"modtaget",
             r"det er noteret", r"så har jeg styr på det", r"nå sådan", r"aha",
             r"got it", r"makes sense", r"sounds good", r"good to know", r"understood",
             r"noted", r"will do", r"perfect", r"👍", r"👌", r"🙏",
             # wishing well on the way out, for the season too
             r"godt nytår", r"glædelig jul", r"god jul", r"god påske", r"god sommer",
             r"godt nytår og tak", r"ska'? (?:du|i|de) ha'?(?:ve)?", r"fint nok",
             r"vi snakkes", r"snakkes", r"godnat", r"god nat", r"god aften", r"god weekend",
             r"(?:hav|ha'?) (?:en )?(?:rigtig )?god (?:dag|aften|weekend|jul)", r"fedt",
             r"ha'? det (?:godt|godt så)", r"have a (?:nice|good) (?:day|evening|weekend)",
             # praise for the help is thanks ("du har været en stor hjælp")
             rf"(?:du|i|det|de|dét) (?:har været|var|er) (?:en |til )?{_VERY}(?:stor |god |fin "
             rf"|kæmpe )?(?:hjælp|hjælpsom|hjælpsomme)",
             rf"(?:du|i|de) (?:har været|var|er) {_VERY}(?:sød|søde|flink|flinke|god|gode)",
             rf"you(?:'ve| have)? been {_VERY_EN}(?:a )?(?:great |big |huge |real )?"
             r"(?:help|helpful)", rf"you were {_VERY_EN}(?:helpful|kind)",
             # "det var sådan set bare det": what was asked is all
             r"det var (?:(?:sådan set|egentlig|faktisk|vist|nok|bare|kun|så) )+"
             r"(?:det|alt)(?: hele)?")
# Saying that a new subject comes: the last answer's topic does not carry over.
NEW_SUBJECT = _rx(r"(?:et )?(?:helt )?(?:andet|nyt) spørgsmål", r"noget helt andet",
                  r"(?:spørge|snakke|tale|høre) om noget (?:helt )?andet",
                  r"en (?:helt )?anden (?:ting|sag)", r"skifte emne", r"another question",
                  r"something (?:else|different)", r"a different (?:question|thing)")
_NO_FIRST = re.compile(r"^\W*(?:nej|nope|no)(?![\wæøå])", re.IGNORECASE)
# A goodbye said with what the citizen will do next or why they are done ("så ringer
# jeg til dem", "det var det hele", "never mind, I'll call tomorrow"): with thanks or a
# farewell and no new request, it closes the conversation however many words it has.
CLOSING = _rx(
    r"(?:hav|ha'?) (?:en )?(?:rigtig )?god (?:dag|aften|weekend|jul)",
    r"(?:så )?har jeg (?:det|hvad) jeg (?:skal|skulle) bruge",
    r"det var det hele", r"det var alt(?: for nu)?", r"så ved jeg det", r"nu ved jeg det",
    r"(?:det|dét) var (?:hvad|det|lige det) (?:jeg|vi) (?:gerne )?(?:ville|skulle) (?:vide|høre|"
    r"have at vide|have svar på)",
    r"så (?:ringer|skriver|kontakter|prøver|kigger|går|tager|spørger|venter|gør) (?:jeg|vi)",
    # what the citizen will do now: "det gør jeg", "jeg prøver det", "I'll do that"
    r"(?:det|dét) (?:gør|prøver|ordner|klarer|tjekker|undersøger) (?:jeg|vi)(?! ikke)",
    r"(?:jeg|vi) (?:gør|prøver|ordner|tjekker|undersøger) det(?: lige)?(?: så)?(?! ikke)",
    r"det kigger (?:jeg|vi) på", r"det skal (?:jeg|vi) nok", r"i'?ll do (?:that|it)",
    r"så må (?:jeg|vi|min|han|hun|de)", r"(?:jeg|vi) (?:prøver|ringer|kigger|skriver) "
    r"(?:igen )?(?:i morgen|senere|en anden dag)", r"glem det", r"fandt (?:selv )?ud af det",
    r"(?:jeg|vi) klarer (?:det|mig|os) selv", r"never mind", r"i'?ll (?:call|try|check|ask)",
    r"bye", r"goodbye", r"farvel", r"hej hej", r"vi ses", r"vi snakkes", r"godnat",
    r"(?:jeg|vi) (?:ringer|skriver|kommer|går|tager) (?:bare |så |hellere )?(?:ind |derind |"
    r"derned )?i stedet",
    r"(?:så )?ses vi", r"vi høres", r"(?:så )?høres vi",
    r"(?:det|så) må (?:jeg|vi) (?:så |nok |vel )?(?:gøre|prøve|vente|ringe|se)",
    r"(?:hav|ha'?) (?:en )?(?:rigtig )?god (?:dag|aften|weekend)",
)
# A new request after thanks keeps the conversation going ("tak, og jeg skal også …").
MORE = _rx(r"også", r"en ting mere", r"et spørgsmål mere", r"another", r"also", r"one more",
           r"vil gerne", r"jeg vil", r"(?:kan|vil) (?:i|du) hjælpe", r"i want", r"i need")
GREETING = _rx(r"hej", r"hejsa", r"goddag", r"godmorgen", r"god morgen", r"godaften",
               r"hallo", r"halløj", r"hi", r"hello", r"dav", r"davs", r"good morning",
               r"(?:is )?any(?:one|body) there", r"er der nogen(?: der hører mig)?")
YES = _rx(r"ja", r"jo", r"jep", r"jeps", r"ja tak", r"gerne", r"yes", r"yep", r"ok", r"okay",
          r"det vil jeg gerne", r"meget gerne", r"sure", r"please")
NO = _rx(r"nej", r"nope", r"no", r"ikke rigtig", r"nej ikke rigtig")
EMERGENCY = _rx(
    r"112", r"ambulance", r"det brænder", r"brand i", r"ild i", r"hjertestop", r"bevidstløs",
    r"trækker ikke vejret", r"livstruende", r"blødning", r"overfald(?:et)?", r"selvmord",
    r"slå mig selv ihjel", r"akut hjælp", r"emergency", r"heart attack", r"on fire",
    r"er faldet om", r"forgiftet", r"voldtaget", r"indbrud lige nu", r"er ved at dø",
    r"(?:bryde|bryder|brækker) ind", r"brudt ind lige nu",
    r"(?:bryde|brække) døren op", r"indbrud i gang", r"there is a fire", r"is on fire",
    r"fire in (?:my|the|our)", r"breaking in(?:to)?", r"someone is breaking", r"call an ambulance",
    r"ikke er ved bevidsthed", r"kan ikke få vejret",
    # breathing, consciousness, heart and stroke however it is phrased
    r"(?:ikke|næppe|knap|dårligt|næsten ikke|nærmest ikke) (?:kan )?(?:trække|få|trækker|får) "
    r"(?:\w+ )?vejret", r"(?:trækker|får|tager) (?:\w+ )?(?:ikke|næppe|knap|dårligt) vejret",
    r"besvime[td]?", r"ikke (?:til at )?vække", r"brystsmerter", r"smerter i brystet",
    r"slagtilfælde", r"blodprop i hjernen", r"kramper", r"not breathing",
    r"can'?t breathe", r"unconscious", r"chest pains?", r"stroke", r"collapsed",
    r"(?:barely|hardly) breathing", r"brænder (?:i|hos|på|ved) (?:min|mit|vores|naboens|"
    r"nabo(?:en)?s?|huset|lejligheden|køkkenet|garagen|carporten)", r"flammer(?:ne)?",
    r"røgen vælter", r"er faldet om",
    # bleeding, poisoning and overdoses, violence happening now, thoughts of suicide,
    # accidents with someone hurt, gas, drowning, severe allergy: by kind, in any wording
    r"bløder(?: \w+)?", r"blod (?:overalt|alle vegne|fosser)", r"fosser (?:med )?blod",
    r"(?:slugt|spist|drukket|taget) (?:\w+ ){0,4}\w*(?:piller|tabletter|pillerne|"
    r"tabletterne)", r"(?:har|havde) (?:\w+ )?(?:slugt|spist|drukket|taget) (?:\w+ )?(?:\w+ )?"
    r"(?:piller|tabletter|medicin|pillerne|tabletterne|rengøringsmiddel|klor|afløbsrens)",
    r"overdosis", r"overdose", r"taget for mange (?:piller|tabletter|sovepiller)",
    r"swallowed (?:\w+ )?(?:pills|tablets)",
    r"(?:slår|sparker|tæsker|banker) (?:løs på|ham|hende|en mand|en kvinde|et barn|hinanden)",
    r"slås (?:på gaden|udenfor|lige nu)", r"med (?:en )?kniv", r"stukket ned",
    r"(?:pistol|våben|skyder på|skud)",
    r"tage mit (?:eget )?liv", r"tage livet af mig", r"(?:vil|orker) ikke (?:leve|mere leve)",
    r"ikke leve (?:mere|længere)", r"ende (?:det hele|mit liv)", r"gøre en ende på",
    r"(?:er blevet |blev )?påkørt",
    r"(?:han|hun|en mand|en kvinde|en cyklist|et barn|nogen|personen|min \w+|vores \w+) "
    r"ligger (?:på vejen|på jorden|livløs|og bløder|helt stille|ned og)",
    r"ulykke (?:lige nu|foran)", r"er kommet (?:slemt )?til skade",
    r"(?:lugter|lugt|stinker) (?:\w+ )?(?:af )?gas", r"gas(?:lugt|udslip|læk)",
    r"smell(?:s)? (?:of )?gas", r"gas leak", r"drukner", r"er faldet i (?:vandet|havnen|søen)",
    r"allergisk chok", r"hjerteanfald",
    # someone in the home now, smoke and fire alarms
    r"(?:nogen|nogle|en fremmed|fremmede|en mand|en indbrudstyv|tyve) (?:er )?inde i "
    r"(?:huset|lejligheden|mit hus|vores hus|stuen|hjemmet)", r"låst mig inde",
    r"someone (?:is )?(?:inside|in) (?:my|our|the) (?:house|home|flat|apartment)",
    r"smoke (?:is )?coming (?:out|from)", r"(?:kommer|vælter|siver) røg (?:ud )?(?:fra|af|ud)",
    r"røg (?:kommer|vælter|siver) ud", r"(?:brand|røg)alarm(?:en)? (?:hyler|bipper|går)",
    r"(?:fire|smoke) alarm is (?:going|ringing|beeping)",
    # breathing oddly, not responding, fallen and cannot get up
    r"(?:trækker|tager|får) vejret (?:\w+ )?(?:mærkeligt|underligt|tungt|besværet|hivende|"
    r"uregelmæssigt|sært)",
    r"(?:han|hun|de|den|min \w+|mit \w+|vores \w+|my \w+|naboen|barnet|personen|manden|"
    r"kvinden|drengen|pigen|hunden|katten|patienten) (?:\w+ )?(?:reagerer|responderer) "
    r"(?:ikke|slet ikke)(?! på (?:mine|min|vores|henvendelse|mails?|breve?))",
    r"svarer ikke (?:rigtigt|ordentligt) (?:og|men)",
    # someone on the floor or not answering when spoken to: "min mor ligger på gulvet og
    # svarer ikke når jeg snakker til hende", "han vil ikke vågne"
    r"(?:han|hun|min \w+|mit \w+|vores \w+|naboen|barnet|personen|manden|kvinden) "
    r"(?:ligger|sidder) (?:\w+ ){0,2}(?:på (?:\w*gulvet|jorden|fortovet|trappen)|"
    r"i (?:sengen|badet|haven)) og (?:svarer|reagerer|bevæger sig|rører sig) ikke",
    r"(?:han|hun|min \w+|mit \w+|vores \w+|naboen|barnet|personen|manden|kvinden) "
    r"ligger (?:\w+ ){0,2}på (?:\w*gulvet|jorden|fortovet|trappen)"
    r"(?! og (?:leger|spiller|sover|hviler))",
    r"svarer (?:\w+ )?ikke (?:\w+ ){0,2}(?:når|selvom|selv om|uanset hvad) (?:jeg|vi|man) "
    r"(?:snakker|taler|råber|kalder|rusker|prikker|siger)",
    r"kan ikke vækkes", r"(?:vil|kan) ikke komme til sig selv",
    r"(?:is|lies|lying) on the (?:floor|ground) and (?:is not|isn'?t|won'?t|does not|doesn'?t)"
    r" (?:respond|answer|move|responding|answering|moving)",
    r"(?:er )?faldet (?:\w+ ){0,3}og kan ikke (?:komme|rejse sig)",
    r"is bleeding", r"overfalder", r"bliver overfaldet",
    # heart and stroke signs however told: "ondt i brystet og armen sover", "pain in his
    # chest … his left arm feels numb", "munden hænger", "kan pludselig ikke tale"
    r"(?:ondt|smerter?|trykken|tryk|jag) (?:\w+ ){0,2}(?:i|for) (?:brystet|hjertet)",
    r"(?:pain|pressure|tightness) in (?:his|her|my|the) chest",
    r"(?:venstre |left )?(?:arm(?:en)?|ansigtet|face) (?:\w+ )?(?:sover|er følelsesløs|føles "
    r"følelsesløs|hænger|feels numb|is numb|went numb|is drooping|droops)",
    r"(?:munden|mundvigen|ansigtet) (?:er begyndt at )?hænge(?:r)?",
    r"(?:kan|kunne) pludselig ikke (?:tale|snakke|gå|stå|se|bevæge)",
    r"(?:suddenly )?(?:can'?t|cannot) (?:speak|talk|move (?:his|her|my) (?:arm|leg))",
    # the same kinds in English: overdoses and poisoning, not waking, not responding,
    # seizures, choking, drowning, someone hurt or attacked now
    r"(?:took|taken|swallowed|ate|had) (?:a lot of|lots of|loads of|too many|all (?:of )?"
    r"(?:her|his|my|the|their|our)|a (?:whole|full) (?:bottle|box|pack|packet) of|"
    r"a handful of|\d+|some of (?:my|her|his|the)) (?:\w+ )?(?:pills|tablets|medicine|"
    r"medication|painkillers|sleeping pills)", r"(?:swallowed|drank|drunk) (?:\w+ ){0,2}"
    r"(?:pills|tablets|bleach|poison|drain cleaner|cleaning fluid)", r"overdosed?",
    r"(?:can'?t|cannot|can not|won'?t|will not) (?:\w+ )?wake (?:\w+ )?up",
    r"(?:is|isn'?t|is not) (?:waking up|breathing|responding)",
    r"unresponsive", r"passed out", r"(?:having|had) a (?:seizure|fit|stroke)", r"seizure",
    r"choking", r"drowning", r"(?:is|are|being) (?:attacked|stabbed|shot|beaten)",
    r"(?:bleeding|blood) (?:a lot|badly|heavily|everywhere)", r"poisoned",
    r"(?:hit|run over) by a (?:car|bus|truck|lorry)", r"(?:fell|has fallen) and (?:can'?t|"
    r"cannot) get up", r"(?:allergic|anaphylactic) (?:reaction|shock)",
)
# Thoughts of suicide: 112, and Livslinien as well.
DESPAIR = _rx(r"selvmord(?:stanker)?", r"slå mig selv ihjel", r"tage mit (?:eget )?liv",
              r"tage livet af mig", r"(?:vil|orker) ikke (?:leve|mere leve)",
              r"ikke leve (?:mere|længere)", r"ende (?:det hele|mit liv)", r"gøre en ende på",
              r"kill myself", r"end my life", r"suicid(?:e|al)")
# A turn that goes on from the previous one: it starts by adding to it ("og til et
# barn?", "what about my son") or leans on it with a pronoun ("hvad koster det").
# A condition on the last answer, with the thing it lacks: "hvad hvis jeg ikke har et
# pas?", "kan jeg gøre det uden pas?", "what if I don't have a passport?". The thing
# named there is part of the same errand, not a new subject.
_LACKED = r"(?: (?:et|en|mit|min|mine|dit|din|noget|nogen|a|an|my|the|any)(?![\w'-]))?" \
    r"(?: [\w'-]+)?"
CONDITION = re.compile(
    r"(?<![\wæøå])(?:(?:hvad|hva|og) (?:så )?)?hvis (?:jeg|man|vi|han|hun|de|du|min \w+) "
    r"(?:ikke|ingen) (?:har|ejer|kan finde|kan få|har fået)" + _LACKED +
    r"|(?<![\wæøå])uden" + _LACKED +
    # what one has, as a condition: "gælder det også selvom han havde lidt penge på en
    # opsparing"
    r"|(?<![\wæøå])(?:selv ?om|også hvis|even if|even though) (?:jeg|man|vi|han|hun|de|du|"
    r"min \w+|i|we|he|she|you|my \w+) (?:har|havde|ejer|ejede|får|fik|tjener|tjente|have|"
    r"has|had|own|owned|earn|earned)(?: [\w'-]+){0,5}" +
    r"|(?<![\w])what if (?:i|we|he|she|you|my \w+) (?:do not|don'?t|dont|have no|can'?t "
    r"find|did not get|didn'?t get)(?: have)?" + _LACKED + r"|(?<![\w])without" + _LACKED,
    re.IGNORECASE)
CONTINUES = re.compile(
    r"^\W*(?:(?:og|men|også|så|nå|okay|ok|ja|and|but|also|so)\b\W*)*"
    r"(?:og|også|hvad med|hvad så med|hva med|hva så med|hvordan med|gælder det|samme|and|also|"
    r"what about|"
    r"how about|same|is it the same|does that|"
    # a condition on the last answer: "hvad hvis jeg ikke har …", "what if I don't …"
    r"hvad (?:så )?hvis|hva (?:så )?hvis|what if)\b", re.IGNORECASE)
# "må man også …", "gælder det også …", "that too?": the same subject, widened.
ALSO = _rx(r"også", r"too", r"as well", r"samtidig")
ANAPHOR = _rx(r"det", r"den", r"dem", r"dér", r"sådan (?:en|et|nogle)", r"han", r"hun", r"de",
              r"ham", r"hende", r"it", r"that", r"one", r"he", r"she", r"him", r"her", r"them",
              r"they", r"dét", r"dette", r"this")
# A reply that starts with a yes or praise: to "Hjalp det?" it means it did.
POSITIVE = re.compile(r"^\W*(?:ja|jo|jep|jeps|jamen|yes|yeah|yep|cheers|super|perfekt|fint|"
                      r"godt|flot|dejligt|great|thanks?|fedt|skønt|okay|ok)\b", re.IGNORECASE)
# About the queue the citizen waits in: how long, which place; or leaving it.
# Said while waiting, a short turn about time or the queue is about the wait.
WAIT_SHORT = _rx(r"hvor (?:lang|længe|mange)", r"ventetid(?:en)?", r"kø(?:en)?", r"vente",
                 r"foran mig", r"holde røret", r"how long", r"wait(?:ing)?", r"queue",
                 r"hvornår kommer")
WAIT = _rx(r"hvor (?:lang tid|længe) (?:skal|må|vil) (?:jeg|vi) (?:vente|sidde)",
           r"hvor (?:lang tid|længe) (?:\w+ ){0,5}(?:vente|venter|ventetid|holde)",
           r"hvor (?:lang tid|længe) går der", r"hvor lang er ventetiden",
           # "hvor længe tror du der går før der er nogen?": the guess asked for is the wait
           r"hvor (?:lang tid|længe) (?:tror|regner|gætter|vil|skønner) (?:du|i) (?:\w+ ){0,2}"
           r"(?:går (?:der|det)|tager det|varer det|skal (?:jeg|vi) vente)",
           r"(?:før|inden|til) (?:der (?:er|kommer|bliver) (?:nogen|en (?:medarbejder|person))|"
           r"(?:det (?:er|bliver) )?(?:min|vores) tur|(?:jeg|vi) (?:får|kommer til at) "
           r"(?:tale|snakke|fat))",
           r"hvor (?:lang tid|længe) (?:er|bliver|tager) (?:der |det )?(?:ventetid(?:en)?|at vente|"
           r"før)", r"hvor lang(?:t)? er (?:der )?ventetid(?:en)?", r"hvad er ventetiden",
           r"hvornår (?:er det|bliver det|kommer) (?:min tur|der nogen|en medarbejder)",
           r"hvor mange (?:er|står|venter) (?:der )?foran(?: mig)?",
           # "er der langt til jeg er ved at komme til?"
           r"er der (?:lang tid |langt )(?:til|igen|før)", r"(?:ved|til) at komme til",
           r"hvornår (?:kommer|får) (?:jeg|vi) (?:min|vores|en) tur",
           r"hvilket nummer er (?:jeg|vi)",
           r"(?:er|står|venter) der (?:mange|nogen|flere|mange andre) (?:\w+ )?foran (?:mig|os)",
           r"er (?:jeg|vi) (?:stadig )?i køen", r"kommer der snart nogen",
           r"(?:er|kommer) der (?:snart |ikke )?nogen (?:der|som) (?:tager|svarer|kommer)",
           r"hvornår (?:tager|svarer) (?:i|nogen|de|en)", r"how many (?:people )?(?:are )?"
           r"(?:ahead|in front) of me",
           r"how long (?:is the wait|do i have to wait|will (?:it|this) take|until)",
           r"what'?s the wait", r"my place in (?:the )?(?:queue|line)",
           r"am i still in (?:the )?(?:queue|line)", r"is anyone coming")
LEAVE = _rx(r"(?:ud|ude) af køen", r"forlade køen",
            r"gider ikke (?:at )?(?:sidde og |stå og |hænge her og )?vente",
            r"gider ikke (?:mere|længere)", r"(?:jeg )?(?:lægger|smider) (?:røret )?på",
            r"(?:jeg )?smutter", r"(?:jeg )?giver op", r"i'?m hanging up", r"i give up",
            r"hang(?:ing)? up",
            r"(?:vil|kan) ikke vente (?:mere|længere)", r"venter ikke (?:mere|længere)",
            r"(?:nu |så )?lægger jeg (?:røret )?på", r"(?:jeg )?logger (?:af|ud)",
            r"orker ikke (?:at )?vente",
            r"(?:orker|gider|magter|kan|vil) (?:ikke|ikk) (?:at )?(?:\w+ ){0,4}(?:og )?vente"
            r"(?: (?:mere|længere|her|på det))?",
            r"stop(?:pe)? med at vente", r"leave the (?:queue|line)",
            r"(?:don'?t|do not) want to wait", r"stop waiting", r"can'?t wait any ?more")
# "How do I complain / follow my case / how long do I have": asking how it is done is a
# question a guide answers, not a request for a person.
HOW_TO = _rx(r"hvordan (?:kan |skal )?(?:jeg|man|vi)", r"hvor(?:dan)? \w+ (?:jeg|man|vi)",
             r"kan (?:jeg|man) (?:klage|se|følge|finde)", r"skal (?:en|min) klage",
             r"hvor lang tid har (?:jeg|man|vi) til", r"hvordan (?:klager|ser|følger|finder)",
             r"how (?:do|can) (?:i|we|you)", r"where (?:do|can) (?:i|we)",
             r"hvad (?:er|gør) (?:jeg|man) for at",
             # what to do if …: "hvad gør jeg hvis jeg er uenig i vurderingen"
             r"hvad (?:gør|skal|kan) (?:jeg|man|vi) (?:så )?(?:gøre )?(?:hvis|når)",
             r"what (?:do|can|should) (?:i|we) do (?:if|when)")
CALLBACK = _rx(r"ring(?:e)? (?:til )?mig", r"(?:i|du) (?:kan|må) ringe (?:til )?mig",
               r"call me", r"kontakte mig på", r"fange mig på")
QUESTION_WORDS = _rx(r"hvordan", r"hvad", r"hvor", r"hvornår", r"hvem", r"hvilken", r"hvilke",
                     r"kan jeg", r"skal jeg", r"må jeg", r"how", r"what", r"where", r"when",
                     r"can i", r"do i", r"hvorfor", r"why", r"hva", r"(?:kan|skal|må) (?:man|vi)",
                     r"gælder det", r"which", r"is it", r"are there", r"do you")
VAGUE = _rx(r"kan (?:du|i) hjælpe mig", r"jeg har brug for hjælp", r"jeg har et spørgsmål",
            # asking leave to ask, with nothing asked yet: "kan du hjælpe mig med noget?",
            # "må jeg spørge dig om en ting", "could you help me with something"
            r"(?:kan|vil|må|gider) (?:du|i|de) (?:godt |lige )?(?:hjælpe|svare) (?:mig )?"
            r"(?:med|på) (?:noget|en ting|et spørgsmål|lidt|et par spørgsmål|nogle spørgsmål)",
            r"(?:må|kan) jeg (?:godt |lige )?spørge (?:dig |jer )?om (?:noget|en ting|et par ting)",
            r"(?:jeg )?(?:har|havde) (?:lige )?(?:et|en|et par|nogle) (?:lille |kort |hurtigt )?"
            r"(?:spørgsmål|problem|ting|spørgsmål til dig)",
            r"(?:can|could) you help me(?: with (?:something|a question|a thing))?",
            r"(?:kan|vil) (?:du|i) (?:også |så )?hjælpe (?:mig )?med (?:noget|en) (?:helt )?"
            r"(?:andet|anden ting)",
            r"(?:can|may) i ask (?:you )?(?:something|a question)",
             r"hvad kan du(?: hjælpe med)?", r"jeg har et problem", r"jeg skal bruge hjælp",
             r"i need help", r"can you help(?: me)?", r"i have a question", r"hjælp")
# Fillers, and a "så" that ends the turn ("jamen tak så").
FILLER = re.compile(r"[^\wæøå]+|øh+|øhm|ehm|altså|lige|(?<![\wæøå])så(?=[^\wæøå]*$)|"
                    r"(?<![\wæøå])(?:nåh?|jamen)(?![\wæøå])", re.IGNORECASE)
SCORE = re.compile(r"(?<!\d)(10|[1-9])(?:\s*(?:/|ud af)\s*10)?(?!\d)")


@dataclass(frozen=True, slots=True)
class Cues:
    wants_person: bool = False
    own_case: bool = False
    complaint: bool = False
    not_helped: bool = False
    thanks: bool = False
    greeting_only: bool = False
    yes: bool = False
    no: bool = False
    emergency: bool = False
    despair: bool = False  # thoughts of suicide: Livslinien besides 112
    callback: bool = False  # asks to be called back: a number in the turn is consented
    question: bool = False
    vague: bool = False  # "kan du hjælpe mig?" and nothing more
    content_words: int = 0
    positive: bool = False  # "ja det gjorde det", "cheers, that's all": a yes or thanks
    asks_wait: bool = False  # how long the wait is, which place in the queue
    leaves: bool = False  # does not want to wait any more
    continues: bool = False  # goes on from the previous turn ("og til et barn?")
    refers: bool = False  # leans on the previous turn with a pronoun ("hvad koster det")
    how_to: bool = False  # asks how something is done ("hvordan klager jeg")
    starts_no: bool = False  # "nej, min bank siger noget helt andet": a no first
    new_subject: bool = False  # "et helt andet spørgsmål": not about the last answer
    farewell: bool = False  # says what they will do now ("så venter jeg på opkaldet")

    @property
    def needs_person(self) -> bool:
        return self.wants_person or self.own_case or self.complaint or self.not_helped


# Resignation before a goodbye: "typisk. nå, tak alligevel", "øv, okay tak".
SIGH = _rx(r"typisk", r"øv", r"ærgerligt", r"det var ærgerligt", r"pyt", r"pyt med det", r"suk",
           r"pyha", r"nå ja", r"damn", r"oh well", r"too bad",
           r"hvad (?:fanden|satan|søren|pokker|helvede)", r"for (?:fanden|satan|pokker)",
           r"undskyld (?:\w+ ){0,2}(?:tonen|mit sprog|min tone|at jeg bandede)",
           r"det er (?:bare )?(?:hårdt|svært|tungt) (?:lige nu|for tiden)",
           r"(?:jeg )?håber (?:\w+ ){0,2}(?:der sker noget|det hjælper|det bliver bedre|"
           r"i gør noget|det går|det lykkes)", r"\d+ var det",
           # a letter's sign-off and the name under it: "Med venlig hilsen Kirsten Bach"
           r"(?:med )?(?:venlig|venligste|kærlig|bedste) hilsen(?: \w+){0,3}", r"mvh(?: \w+){0,3}",
           r"de bedste hilsner(?: \w+){0,3}", r"kind regards(?: \w+){0,3}",
           r"best regards(?: \w+){0,3}", r"(?:nej |nå |ja )?ved du hvad")


def _leftover(text: str, *patterns: re.Pattern[str]) -> int:
    """Words left after removing the given cue phrases and fillers."""
    rest = text
    for p in patterns:
        rest = p.sub(" ", rest)
    return len([w for w in FILLER.split(rest) if w])


_FIRST_SENTENCE = re.compile(r"[^.?!]*[.?!]?")


def _first_sentence(text: str) -> str:
    m = _FIRST_SENTENCE.match(text)
    return m.group(0) if m else text
_IKKE = re.compile(r"(?<![\wæøå])ik(?:k|ke)?(?![\wæøå'])", re.IGNORECASE)


def detect(text: str) -> Cues:
    # "det virker stadig ikk", "har ik hørt noget": spoken "ikke" as typed
    text = _IKKE.sub("ikke", text)
    words = len([w for w in FILLER.split(text) if w])
    # asking how to complain or follow a case, without wanting a person: a guide answers
    how_to = bool(HOW_TO.search(text)) and not PERSON.search(text) and \
        not re.search(r"(?<![\wæøå])(?:jeg|vi) vil (?:gerne )?klage", text, re.IGNORECASE)
    closing = _leftover(text, THANKS, YES, NO, GREETING, SIGH) == 0
    # with thanks, or with little else ("nå okay, så ringer jeg til yousee")
    farewell = bool(CLOSING.search(text)) and "?" not in text and not MORE.search(text) \
        and not QUESTION_WORDS.search(SIGH.sub(" ", CLOSING.sub(" ", text))) and (
            bool(THANKS.search(text)) or _leftover(text, CLOSING, YES, GREETING) <= 3)
    return Cues(
        wants_person=bool(PERSON.search(text)) and not WHEN_TO_CALL.search(text),
        own_case=bool(OWN_CASE.search(text) or OWN_CASE_NAMED.search(text)) and not how_to,
        complaint=bool(COMPLAINT.search(text)) and not how_to,
        not_helped=bool(NOT_HELPED.search(text)),
        thanks=(bool(THANKS.search(text)) and closing) or farewell,
        greeting_only=bool(GREETING.search(text)) and _leftover(text, GREETING) == 0,
        yes=bool(YES.search(text)) and _leftover(text, YES, THANKS, GREETING) <= 1,
        no=bool(NO.search(text)) and _leftover(text, NO, THANKS) <= 1,
        emergency=bool(EMERGENCY.search(text) or DESPAIR.search(text)),
        despair=bool(DESPAIR.search(text)),
        callback=bool(CALLBACK.search(text)),
        question=(bool(QUESTION_WORDS.search(text)) or "?" in text) and not farewell,
        vague=bool(VAGUE.search(text)) and _leftover(text, VAGUE, GREETING, THANKS) <= 1,
        content_words=words,
        positive=bool(POSITIVE.match(text) or THANKS.search(text)) and "?" not in text and
        not MORE.search(text) and not QUESTION_WORDS.search(text) and not NO.search(text),
        # a short first sentence about the wait: "hvor lang tid cirka? skal hente mine unger"
        asks_wait=bool(WAIT.search(text)) or (bool(WAIT_SHORT.search(text)) and words <= 8) or (
            bool(WAIT_SHORT.search(first := _first_sentence(text))) and
            len([w for w in FILLER.split(first) if w]) <= 5),
        leaves=bool(LEAVE.search(text)),
        continues=bool(CONTINUES.search(text)) or (
            bool(ALSO.search(text)) and words <= 12),
        refers=bool(ANAPHOR.search(text)),
        how_to=how_to,
        starts_no=bool(_NO_FIRST.match(text)),
        new_subject=bool(NEW_SUBJECT.search(text)),
        farewell=farewell,
    )


# Asking when one can call or come is asking for the hours, not for a person now:
# "hvornår kan man ringe til jer i dag?", "what time can I call you?"
WHEN_TO_CALL = _rx(
    r"hvornår (?:kan|må|skal) (?:jeg|man|vi) (?:\w+ )?(?:ringe|komme|få fat|henvende|"
    r"kontakte)",
    r"(?:when|what time) (?:can|may|should) (?:i|we|one) (?:call|ring|reach|come|contact)")


# Where a second question starts: "…, og skal jeg så også …", "… og hvordan …",
# "…? og …", "… and also …". Split only where a question word or a modal follows.
_NEXT_QUESTION = re.compile(
    r"(?:[?.!]+\s+|\s*[,–—-]?\s+)(?:og|samt|and)\s+"
    r"(?:(?:så|bagefter|derefter|dernæst|desuden|derudover|samtidig|i øvrigt|til sidst|"
    r"then|afterwards|besides)\s+){0,2}(?:også\s+|also\s+)?"
    r"(?:om\s+|et spørgsmål om\s+|spørge om\s+)?"
    r"(?=(?:hvordan|hvad|hvornår|hvor|hvem|hvilke[nt]?|om|skal|kan|må|vil|"
    r"får|er|how|what|when|where|which|who|can|do|does|is|should)\b)"
    r"|,?\s+og (?:så )?(?:har jeg|jeg har|så har jeg) (?:også )?(?:lige )?(?:et )?(?:andet )?"
    r"spørgsmål(?: om)?\s+"
    # "det ene er …, og det andet er at …", "for det første …, for det andet …"
    r"|,?\s+(?:og )?(?:så )?(?:for )?det andet(?: er| var| handler om| drejer sig om)?"
    r"(?: at| om)?:?\s+"
    r"|[?]+\s+(?=\w)", re.IGNORECASE)


def questions(text: str) -> list[str]:
    """The questions of a turn, in order: one, or two when a second is joined on."""
    m = _NEXT_QUESTION.search(text)
    if m is None:
        return [text]
    parts = [text[:m.start()].strip(" ,"), text[m.end():].strip(" ,")]
    # both must ask something: "… siger jeg sorterer forkert?? hvad må …" is one
    # question; "… og så har jeg et spørgsmål om mit pas" says the second asks
    marker = m.group(0).lower()
    # "…, og kan hun også få …": the second asks, so the first was a request too
    also = bool(re.match(r"\W*(?:\w+ ){0,3}også\b", parts[1], re.IGNORECASE)) and \
        words(parts[0]) >= 3
    asks = all(QUESTION_WORDS.search(p) or _ASKS.match(p) or (i == 0 and (
        _NEEDS.match(p) or (_PROBLEM.search(p) and words(p) >= 4 and
                            bool(_WH_FIRST.match(parts[1])))))
               for i, p in enumerate(parts)) or (
        "spørgsmål" in marker and bool(QUESTION_WORDS.search(parts[0]) or
                                       PERSON.search(parts[0]))) or "det andet" in marker or (
        also and bool(QUESTION_WORDS.search(parts[1]) or _ASKS.match(parts[1])))
    least = 1 if "det andet" in marker else 2  # "…, det andet om kørekort"
    return [p for p in parts if p] if asks and all(words(p) >= least for p in parts) else [text]


# A first part that reports a problem: "skraldespanden blev ikke tømt – og hvornår …".
_PROBLEM = re.compile(r"(?<![\wæøå])(?:ikke|i stykker|væk|mistet|tabt|stjålet|udløbet)"
                      r"(?![\wæøå])", re.IGNORECASE)
_WH_FIRST = re.compile(r"^\W*(?:hvordan|hvad|hvornår|hvor|hvem|hvilke[nt]?|how|what|when|"
                       r"where|which|who)(?![\wæøå])", re.IGNORECASE)
# A first part that states a need: "jeg skal have fornyet mit pas, og hvad koster …".
_NEEDS = re.compile(r"^\W*(?:\w+ ){0,3}(?:jeg|vi|min \w+|vores \w+) (?:skal|vil gerne|mangler|"
                    r"har brug for|skal bruge|skal have|må have)\b", re.IGNORECASE)
# A part that asks without a question word: "skal jeg …", "om jeg kan …", "er der …".
_ASKS = re.compile(r"^\W*(?:og |så |også )*(?:skal|kan|må|vil|får|er|har|om|do|does|is|can|"
                   r"should|will)\b", re.IGNORECASE)


def satisfaction_score(text: str) -> int | None:
    """A 1-10 rating in digits or words ('8', '8/10', 'otte', 'ti ud af ti')."""
    m = SCORE.search(text)
    if m:
        return int(m.group(1))
    for word in re.findall(r"[\wæøå]+", text.lower()):
        v = word_value(word)
        if v is not None and v.isdigit() and 1 <= int(v) <= 10 and word not in ("en", "et"):
            return int(v)
    return None


def words(text: str) -> int:
    return len([w for w in FILLER.split(text) if w])


# How the citizen tried to reach the municipality is not what they ask about: "der er
# ingen der tager telefonen", "I svarer aldrig på mine mails", "jeg har ringet tre gange".
UNREACHED = _rx(
    r"(?:der er )?(?:ingen|ikke nogen|ingen af jer|i|de|man|kommunen)(?: \w+)? (?:der |som )?"
    r"(?:tager|tog|svarer|svarede|besvarer|ringer|ringede)(?: (?:aldrig|ikke|nogensinde))?"
    r"(?: (?:på|på mine|på min|på vores))? ?(?:telefonen|telefon|røret|mails?|e-mails?|"
    r"breve?|beskeder|henvendelser|mine \w+|tilbage)?",
    r"(?:jeg|vi) har (?:ringet|skrevet|mailet|sendt (?:en )?mail)(?: \w+){0,3} gange",
    r"(?:jeg |vi )?(?:har|havde) (?:allerede )?(?:meldt|anmeldt|indberettet|klaget over|skrevet "
    r"om)(?: \w+){0,4} (?:gange|på nettet|online|på jeres side)",
    r"(?:kan|kunne) ikke komme igennem(?: på telefonen)?",
    r"(?:no one|nobody) (?:answers|picks up)(?: the phone)?",
)
# Why the citizen will not do it themselves is not the subject either: "jeg orker ikke
# logge ind", "gider ikke sidde i telefonkø".
_DIGITAL = r"(?:borger\.dk|nettet|internettet|computere?n?|det digitale|de digitale ting|" \
    r"det der digitale|it|teknik(?:ken)?)"
RELUCTANT = _rx(r"(?:jeg |vi )?(?:orker|gider|magter) (?:slet )?ikke (?:at )?(?:\w+ ){0,2}\w+",
                # in a clause, and what they cannot use: "da jeg ikke magter at udfylde noget
                # på internettet", "jeg fatter ikke borger.dk"
                r"(?:jeg|vi|hun|han) (?:slet )?(?:ikke|ik|ikk) (?:orker|gider|magter) (?:at )?"
                r"(?:(?:\w+ ){1,3}?(?:på|i|med) (?:nettet|internettet|computeren|borger\.dk|appen|"
                r"mitid)|(?:\w+ ){0,2}\w+)",
                r"(?:jeg|vi|hun|han) (?:fatter|forstår|kan) (?:slet )?(?:ikke|ik|ikk|intet|"
                r"ingenting) (?:af |finde ud af |bruge )?" + _DIGITAL,
                r"(?:jeg|vi|hun|han) (?:slet )?(?:ikke|ik|ikk) (?:fatter|forstår|kan finde ud af|"
                r"kan bruge) " + _DIGITAL)
# How long a citizen has waited ("i 5 uger", "tre dage") is not what they ask about.
SPAN = re.compile(r"(?<![\wæøå])(?:i |for |over )?(?:\d+|en|et|to|tre|fire|fem|seks|syv|otte|"
                  r"ni|ti|flere|mange|nogle|snart|over) (?:uger?|ugers|dage?|dages|måned(?:er)?|"
                  r"måneders|år|timer?)(?![\wæøå])", re.IGNORECASE)


# A department named in a request for a person says what it is about: "snakke med nogen
# fra skoleafdelingen" is about school ("skole" is kept when the request is taken out).
DEPARTMENT = re.compile(r"(?<![\wæøå])([\wæøå]{3,})(?:afdeling|afdelingen|forvaltning|"
                        r"forvaltningen|kontoret|anvisning|anvisningen)(?![\wæøå])", re.IGNORECASE)


def subject_text(text: str) -> str:
    """The text without the request for a person, case or complaint phrases, and without
    how long the citizen has waited: its subject (with a department named kept by the
    word it is named for)."""
    rest = strip_labels(text)
    departments = [m.group(1) for m in DEPARTMENT.finditer(rest)]
    for p in (PERSON, RELUCTANT, OWN_CASE, NOT_HELPED, COMPLAINT, GREETING, THANKS, SPAN,
              UNREACHED):
        rest = p.sub(" ", rest)
    rest = re.sub(r"(?<![\wæøå])(jeg vil gerne|jeg vil|kan jeg|vil gerne|gerne|om|angående|"
                  r"vedrørende|omkring|i forbindelse med)(?![\wæøå])", " ", rest, flags=re.I)
    # who the person is to be ("en fra kommunen", "someone from the municipality
    # please") says where, not what about
    rest = re.sub(r"(?<![\wæøå])(?:(?:fra|hos|i|ved) (?:kommunen|kommune)|"
                  r"(?:from|at|in) the (?:municipality|council)|please)(?![\wæøå])",
                  " ", rest, flags=re.I)
    return " ".join([*rest.split(), *departments])
