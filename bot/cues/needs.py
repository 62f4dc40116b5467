"""What a person is needed for: asking for one, one's own case, a complaint, an answer
that did not help; and what is not the subject of such a request (how the citizen
tried to reach us, why they will not do it themselves, how long they waited)."""

from __future__ import annotations

import re

from bot.cues import rx

# Some time ago: "for 3 uger siden", "for en måned siden", "for to mdr. siden".
_AGO = r"for (?:\d+|en|et|to|tre|fire|fem|seks|syv|otte|flere) (?:dage?|uger?|måned(?:er)?|" \
    r"mdr)\.? siden"
# For some time now: "i fem måneder", "i over to uger".
_FOR_A_WHILE = r"(?:i (?:over |næsten |snart |mere end )?(?:\d+|en|et|to|tre|fire|fem|seks|syv|" \
    r"otte|flere|mange) (?:dage?|uger?|måned(?:er)?|mdr|år)|siden (?:januar|februar|marts|" \
    r"april|maj|juni|juli|august|september|oktober|november|december|sidste \w+|i sommer|" \
    r"i foråret|i efteråret|i vinter|nytår|jul|påske))"
# Asking how something under way goes: "hvad sker der med det", "hvornår kommer den",
# "hvorfor tager det så lang tid".
_HOW_IT_GOES = r"(?:hvad sker der|hvornår sker der|hvornår kommer (?:den|det|de|svaret|" \
    r"pengene)|hvornår får (?:jeg|vi|han|hun) (?:et |en |noget )?(?:svar|tilbud|besked|" \
    r"plads)|hvornår hører (?:jeg|vi)|hvorfor tager det|hvad er der sket|hvor bliver " \
    r"(?:den|det|de) af|hvor langt er (?:den|det|de|sagen))"
# Done by the citizen (or the one they write for), some time back: "jeg søgte …", "vi har
# bestilt …", "hun har også søgt …" — not what the municipality did ("kommunen har sendt
# mig en regning").
_DONE = r"(?:jeg|vi|han|hun) (?:har |havde )?(?:også |allerede |ellers )?(?:bestilte|bestilt|" \
    r"søgte|søgt|ansøgte|ansøgt|sendte|sendt|indsendte|meldte|meldt|anmeldte|anmeldt)"
# What a citizen waits for: "det", "mit pas", "min nye bevilling", "pengene".
_AWAITED = r"(?:det|den|de|dem|(?:mit|min|mine) (?:\w+ )?\w+|pengene|svaret)"

PERSON = rx(
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
    r"ringe|tjekke|undersøge|gennemgå|vurdere|forklare|gøre|ordne|klare|registrere|melde|"
    r"udfylde)",
    # a visit: "kan der ikke komme én ud og vise mig det"
    r"(?:kan|må|vil) (?:der|i|nogen|en|én) (?:ikke )?(?:godt )?komme (?:en |én |nogen )?"
    r"(?:ud|forbi|hjem|ud til mig|hjem til mig|hjem til os)",
    # someone to call: "er der ikke en man kan ringe til"
    r"(?:er|findes) der (?:ikke )?(?:en|én|nogen|et sted)(?: af jer)?,? (?:man|jeg|vi) kan "
    r"(?:få lov (?:til )?at )?(?:ringe|tale|snakke|skrive) (?:til|med)",
    # asking them to do it: "kan I ikke bare registrere det for mig" (not "forklare det for
    # mig", which a guide does)
    r"(?:kan|vil|må) (?:i|du|kommunen|nogen|en af jer|én af jer) (?:ikke )?(?:bare |lige |"
    r"godt )?(?!forklare|vise|sige|skrive|oversætte|læse|gentage|stave)[\wæøå]+e "
    r"(?:det|den|dem|sagen|skaden|ansøgningen|blanketten)(?: \w+)? for (?:mig|os|hende|ham)",
    r"(?:can|could) (?:someone|somebody|anyone|anybody) (?:explain|go through|look at|help)",
    # one of the staff: "hjælp fra en af jer", "kan en af jer ikke sidde med hende"
    r"(?:hjælp|besøg|opringning) (?:fra|af) (?:en|én|nogen) af (?:jer|jeres \w+)",
    r"(?:kan|kunne|vil|ville|må) (?:en|én|nogen) af (?:jer|jeres \w+) (?:ikke )?(?:\w+ )?"
    r"(?:sidde|komme|hjælpe|vise|ringe|kigge|se|tage|gå)",
    r"(?:an? )?(?:actual|real|live) (?:person|human|human being|agent|people)",
    # someone got to call: "kan du få kommunen til at ringe til ham om det?"
    r"(?:få|have) (?:kommunen|jer|nogen|en|én|dem|en medarbejder) til at (?:ringe|kontakte)",
)
OWN_CASE = rx(
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
    r"(?:(?:har|havde) (?:jeg |vi )?(?:altså |jo |allerede |da )?betalt|(?:jeg|vi) (?:altså |"
    r"jo |allerede |da )?betalte)",
    r"(?:vil gerne|skal|må|vil) have (?:det|den|dem|fejlen|beløbet|regningen|rykkeren) "
    r"(?:rettet|ændret|annulleret|fjernet|slettet)",
)
# Own-case cues that also name the subject: they count, but stay in the subject text.
OWN_CASE_NAMED = rx(
    r"min (?:byggesag|bevilling|ansøgning om \w+)", r"vores byggesag",
    # waiting for something for some time: "hvor bliver mit pas af??? fik besked for 3
    # uger siden" (a question of how long it usually takes has no time ago)
    rf"hvor bliver {_AWAITED} af(?:\W+\S+){{0,14}}?\W+{_AGO}",
    rf"{_AGO}(?:\W+\S+){{0,14}}?\W+hvor bliver {_AWAITED} af",
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
    # applied for or ordered some time ago, or waiting a while, and asking how it goes:
    # "jeg søgte for tre uger siden om fritagelse, hvad sker der med det?", "vi har
    # bestilt en større spand. Hvornår kommer den?", "stået på venteliste i fem måneder"
    rf"{_DONE} (?:\S+ ){{0,14}}?(?:{_AGO}|{_FOR_A_WHILE})(?=.*{_HOW_IT_GOES})",
    rf"{_DONE} (?:\S+ ){{0,16}}?{_HOW_IT_GOES}",
    rf"(?:stået|står|ventet|venter|været) (?:\S+ ){{0,3}}(?:på )?(?:venteliste|ventelisten) "
    rf"(?:\S+ ){{0,10}}?{_FOR_A_WHILE}",
    rf"(?:stået|ventet|været) (?:\S+ ){{0,3}}(?:på )?(?:venteliste|ventelisten) (?:\S+ ){{0,10}}?"
    rf"{_HOW_IT_GOES}",
    # not received, some time after: "jeg har ikke modtaget mit nye sundhedskort, og jeg
    # flyttede for 5 uger siden"
    rf"(?:ikke|ik|ikk) (?:modtaget|fået) (?:mit|min|mine) (?:\S+ ){{1,10}}{_AGO}",
    # a payment that did not come: "min kontanthjælp er ik kommet ind i dag"
    r"(?:mine|min|mit) (?:\w+ )?(?:penge|\w*dagpenge|\w*hjælp|\w*ydelse|\w*pension|\w*støtte|"
    r"\w*tilskud|løn|udbetaling) (?:er|var|blev) (?:\w+ )?(?:ikke|ik|ikk) (?:kommet|gået ind|"
    r"udbetalt|sat ind)",
    # what is stopped, named first: "mine sygedagpenge stopper 1. december"
    r"(?:mine|min|mit) (?:\w+ )?(?:penge|\w*dagpenge|\w*hjælp|\w*ydelse|\w*pension|\w*støtte|"
    r"\w*tilskud|bevilling) (?:stopper|stoppes|er stoppet|bliver stoppet|bliver sat ned|"
    r"nedsættes|er nedsat|bliver frataget|ophører|er blevet (?:stoppet|sat ned|nedsat|"
    r"frataget|fjernet|skåret ned|standset))",
)
COMPLAINT = rx(r"klag(?:e|er|ede)?", r"vil klage", r"utilfreds", r"uacceptabel(?:t)?",
               r"complain(?:t)?", r"dårlig behandling",
               # disagreeing with a decision is the start of a complaint: "jeg er dybt
               # uenig i den afgørelse", "vi vil anke beslutningen"
               r"(?:dybt |helt |meget |totalt |slet ikke )?(?:uenig|uenige) (?:i|med|om)",
               r"ank(?:e|er|ede) (?:afgørelsen|beslutningen|den|det)",
               r"(?:simpelthen |slet |bare |overhovedet )?ikke godt nok", r"under al kritik",
               r"(?:en )?skandale", r"helt (?:hen i vejret|urimeligt|uhørt)",
               r"(?:disagree|do not agree|don'?t agree) with (?:the|this|that|your) "
               r"(?:decision|ruling)")
NOT_HELPED = rx(
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
# How the citizen tried to reach the municipality is not what they ask about: "der er
# ingen der tager telefonen", "I svarer aldrig på mine mails", "jeg har ringet tre gange".
UNREACHED = rx(
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
RELUCTANT = rx(r"(?:jeg |vi )?(?:orker|gider|magter) (?:slet )?ikke (?:at )?(?:\w+ ){0,2}\w+",
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
