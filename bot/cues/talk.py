"""The talk around a question: thanks and goodbyes, yes and no, greetings, the wait
in the queue, follow-ups that lean on the last answer, vague openings, and asking
when to call."""

from __future__ import annotations

import re

from bot.cues import VERY, VERY_EN, rx

THANKS = rx(r"tak", r"tusind tak", r"mange tak", r"tak for hjælpen", r"thanks?", r"thank you",
            r"super", r"top", r"fedt", r"perfekt", r"fint", r"godt", r"det hjalp",
            r"det var det", r"farvel",
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
            r"skal (?:du|i|de) ha(?:ve|')?", r"tak alligevel", r"thx", r"ty", r"tak tak",
            r"cheers", r"takker",
            # thanks for the time or the trouble: "tak fordi I tog jer tid", "tak fordi du
            # gider hjælpe en gammel mand"
            r"(?:tusind |mange |hjertelig )?tak fordi (?:du|i|de|jeg måtte) (?:\w+ ){0,2}(?:tog|"
            r"tager|gad|gider|ville|vil|hjalp|hjælper|brugte|bruger|havde|har|lyttede|lytter)"
            r"(?: \w+){0,5}",
            r"det betyder (?:meget|rigtig meget|en masse)(?: for mig| for os)?(?: lige nu)?",
            r"mange tak for det", r"tak for nu", r"for nu",
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
            rf"(?:du|i|det|de|dét) (?:har været|var|er) (?:en |til )?{VERY}(?:stor |god |fin "
            rf"|kæmpe )?(?:hjælp|hjælpsom|hjælpsomme)",
            rf"(?:du|i|de) (?:har været|var|er) {VERY}(?:sød|søde|flink|flinke|god|gode)",
            rf"you(?:'ve| have)? been {VERY_EN}(?:a )?(?:great |big |huge |real )?"
            r"(?:help|helpful)", rf"you were {VERY_EN}(?:helpful|kind)",
            # "det var sådan set bare det": what was asked is all
            r"det var (?:(?:sådan set|egentlig|faktisk|vist|nok|bare|kun|så) )+"
            r"(?:det|alt)(?: hele)?")
# Saying that a new subject comes: the last answer's topic does not carry over.
NEW_SUBJECT = rx(r"(?:et )?(?:helt )?(?:andet|nyt) spørgsmål", r"noget helt andet",
                 r"(?:spørge|snakke|tale|høre) om noget (?:helt )?andet",
                 r"en (?:helt )?anden (?:ting|sag)", r"skifte emne", r"another question",
                 r"something (?:else|different)", r"a different (?:question|thing)")
NO_FIRST = re.compile(r"^\W*(?:nej|nope|no)(?![\wæøå])", re.IGNORECASE)
# A goodbye said with what the citizen will do next or why they are done ("så ringer
# jeg til dem", "det var det hele", "never mind, I'll call tomorrow"): with thanks or a
# farewell and no new request, it closes the conversation however many words it has.
CLOSING = rx(
    r"(?:hav|ha'?) (?:en )?(?:rigtig )?god (?:dag|aften|weekend|jul)",
    r"(?:så )?har jeg (?:det|hvad) jeg (?:skal|skulle) bruge",
    r"det var det hele", r"det var alt(?: for nu)?", r"så ved jeg det", r"nu ved jeg det",
    # "nå, så ved jeg hvor jeg skal henvende mig": knowing where to go now
    r"(?:så|nu) ved (?:jeg|vi) (?:hvor|hvad|hvordan|hvem)(?: \w+){0,5}",
    r"(?:det|dét) var (?:hvad|det|lige det) (?:jeg|vi) (?:gerne )?(?:ville|skulle) (?:vide|høre|"
    r"have at vide|have svar på)",
    r"så (?:ringer|skriver|kontakter|prøver|kigger|går|tager|spørger|venter|gør) (?:jeg|vi)",
    # the next step the citizen takes, in any verb: "så bestiller jeg det i aften", "så
    # booker jeg en afhentning", "så logger jeg på skat.dk", "så håber jeg at høre fra jer"
    r"så [a-zæøå]{2,}(?:er|r) (?:jeg|vi)(?! ikke)(?! ik\b)",
    # what the citizen will do now: "det gør jeg", "jeg prøver det", "I'll do that"
    r"(?:det|dét) (?:gør|prøver|ordner|klarer|tjekker|undersøger) (?:jeg|vi)(?! ikke)",
    r"(?:jeg|vi) (?:gør|prøver|ordner|tjekker|undersøger) det(?: lige)?(?: så)?(?! ikke)",
    r"det kigger (?:jeg|vi) på", r"det skal (?:jeg|vi) nok", r"i'?ll do (?:that|it)",
    r"så må (?:jeg|vi|min|han|hun|de)", r"(?:jeg|vi) (?:prøver|ringer|kigger|skriver) "
    r"(?:igen )?(?:i morgen|senere|en anden dag)",
    # another time, in either word order: "ellers skriver jeg igen på mandag"
    r"(?:(?:jeg|vi) (?:prøver|ringer|kigger|skriver|vender)|(?:prøver|ringer|kigger|skriver|"
    r"vender) (?:jeg|vi)) (?:\w+ )?(?:igen |tilbage )?(?:i morgen|senere|en anden dag|"
    r"på (?:mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag)|i (?:næste uge|weekenden)|"
    r"efter (?:weekenden|ferien|jul|nytår|påske))",
    r"tak så længe",
    # leaving: "jeg må hellere gå nu, jeg har ikke mere tid"
    r"(?:jeg|vi) må hellere (?:gå|smutte|løbe|komme videre|lægge på|stoppe)(?: nu)?",
    r"(?:jeg|vi) har ikke (?:mere|længere) tid(?: nu)?", r"glem det", r"fandt (?:selv )?ud af det",
    r"(?:jeg|vi) klarer (?:det|mig|os) selv", r"never mind", r"i'?ll (?:call|try|check|ask)",
    r"bye", r"goodbye", r"farvel", r"hej hej", r"vi ses", r"vi snakkes", r"godnat",
    r"(?:jeg|vi) (?:ringer|skriver|kommer|går|tager) (?:bare |så |hellere )?(?:ind |derind |"
    r"derned )?i stedet",
    r"(?:så )?ses vi", r"vi høres", r"(?:så )?høres vi",
    r"(?:det|så) må (?:jeg|vi) (?:så |nok |vel )?(?:gøre|prøve|vente|ringe|se)",
    r"(?:hav|ha'?) (?:en )?(?:rigtig )?god (?:dag|aften|weekend)",
)
# A new request after thanks keeps the conversation going ("tak, og jeg skal også …").
MORE = rx(r"også", r"en ting mere", r"et spørgsmål mere", r"another", r"also", r"one more",
          r"vil gerne", r"jeg vil", r"(?:kan|vil) (?:i|du) hjælpe", r"i want", r"i need",
          # a need still open: "tak, så flytter jeg i maj og skal bruge en ny læge"
          # (not what they had: "så har jeg hvad jeg skal bruge")
          r"(?<!hvad jeg )(?<!hvad vi )(?<!det jeg )(?<!det vi )(?:skal|skulle) (?:\w+ )?bruge",
          r"(?:har|havde) (?:jeg |vi )?brug for", r"mangler")
GREETING = rx(r"hej", r"hejsa", r"goddag", r"godmorgen", r"god morgen", r"godaften",
              r"hallo", r"halløj", r"hi", r"hello", r"dav", r"davs", r"good morning",
              r"(?:is )?any(?:one|body) there", r"er der nogen(?: der hører mig)?")
YES = rx(r"ja", r"jo", r"jep", r"jeps", r"ja tak", r"gerne", r"yes", r"yep", r"ok", r"okay",
         r"det vil jeg gerne", r"meget gerne", r"sure", r"please")
NO = rx(r"nej", r"nope", r"no", r"ikke rigtig", r"nej ikke rigtig")
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
ALSO = rx(r"også", r"too", r"as well", r"samtidig")
ANAPHOR = rx(r"det", r"den", r"dem", r"dér", r"sådan (?:en|et|nogle)", r"han", r"hun", r"de",
             r"ham", r"hende", r"it", r"that", r"one", r"he", r"she", r"him", r"her", r"them",
             r"they", r"dét", r"dette", r"this")
# A reply that starts with a yes or praise: to "Hjalp det?" it means it did.
POSITIVE = re.compile(r"^\W*(?:ja|jo|jep|jeps|jamen|yes|yeah|yep|cheers|super|perfekt|fint|"
                      r"godt|flot|dejligt|great|thanks?|fedt|skønt|okay|ok)\b", re.IGNORECASE)
# About the queue the citizen waits in: how long, which place; or leaving it.
# Said while waiting, a short turn about time or the queue is about the wait.
WAIT_SHORT = rx(r"hvor (?:lang|længe|mange)", r"ventetid(?:en)?", r"kø(?:en)?", r"vente",
                r"foran mig", r"holde røret", r"how long", r"wait(?:ing)?", r"queue",
                r"hvornår kommer")
WAIT = rx(r"hvor (?:lang tid|længe) (?:skal|må|vil) (?:jeg|vi) (?:vente|sidde)",
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
LEAVE = rx(r"(?:ud|ude) af køen", r"forlade køen",
           r"gider ikke (?:at )?(?:sidde og |stå og |hænge her og )?vente",
           r"gider ikke (?:mere|længere)", r"(?:jeg )?(?:lægger|smider) (?:røret )?på",
           r"(?:jeg )?smutter", r"(?:jeg )?giver op", r"i'?m hanging up", r"i give up",
           r"hang(?:ing)? up",
           r"(?:vil|kan) ikke vente (?:mere|længere)", r"venter ikke (?:mere|længere)",
           r"(?:nu |så )?lægger jeg (?:røret )?på", r"(?:jeg )?logger (?:af|ud)",
           r"orker ikke (?:at )?vente",
           r"(?:har|har jeg) (?:ikke|ikk|ik) (?:\w+ )?tid til at vente",
           r"(?:orker|gider|magter|kan|vil) (?:ikke|ikk) (?:at )?(?:\w+ ){0,4}(?:og )?vente"
           r"(?: (?:mere|længere|her|på det))?",
           r"stop(?:pe)? med at vente", r"leave the (?:queue|line)",
           r"(?:don'?t|do not) want to wait", r"stop waiting", r"can'?t wait any ?more")
# "How do I complain / follow my case / how long do I have": asking how it is done is a
# question a guide answers, not a request for a person.
HOW_TO = rx(r"hvordan (?:kan |skal )?(?:jeg|man|vi)", r"hvor(?:dan)? \w+ (?:jeg|man|vi)",
            r"kan (?:jeg|man) (?:klage|se|følge|finde)", r"skal (?:en|min) klage",
            r"hvor lang tid har (?:jeg|man|vi) til", r"hvordan (?:klager|ser|følger|finder)",
            r"how (?:do|can) (?:i|we|you)", r"where (?:do|can) (?:i|we)",
            r"hvad (?:er|gør) (?:jeg|man) for at",
            # what to do if …: "hvad gør jeg hvis jeg er uenig i vurderingen"
            r"hvad (?:gør|skal|kan) (?:jeg|man|vi) (?:så )?(?:gøre )?(?:hvis|når)",
            r"what (?:do|can|should) (?:i|we) do (?:if|when)")
CALLBACK = rx(r"ring(?:e)? (?:til )?mig", r"(?:i|du) (?:kan|må) ringe (?:til )?mig",
              r"call me", r"kontakte mig på", r"fange mig på")
QUESTION_WORDS = rx(r"hvordan", r"hvad", r"hvor", r"hvornår", r"hvem", r"hvilken", r"hvilke",
                    r"kan jeg", r"skal jeg", r"må jeg", r"how", r"what", r"where", r"when",
                    r"can i", r"do i", r"hvorfor", r"why", r"hva", r"(?:kan|skal|må) (?:man|vi)",
                    r"gælder det", r"which", r"is it", r"are there", r"do you")
VAGUE = rx(r"kan (?:du|i) hjælpe mig", r"jeg har brug for hjælp", r"jeg har et spørgsmål",
           # asking leave to ask, with nothing asked yet: "kan du hjælpe mig med noget?",
           # "må jeg spørge dig om en ting", "could you help me with something"
           r"(?:kan|vil|må|gider) (?:du|i|de) (?:godt |lige |også |så )*(?:hjælpe|svare) (?:mig )?"
           r"(?:med|på) (?:noget|en ting|et spørgsmål|lidt|et par spørgsmål|nogle spørgsmål)"
           r"(?: (?:helt )?(?:mere|andet|til))?",
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
# Resignation before a goodbye: "typisk. nå, tak alligevel", "øv, okay tak".
SIGH = rx(r"typisk", r"øv", r"ærgerligt", r"det var ærgerligt", r"pyt", r"pyt med det", r"suk",
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
# Asking when one can call or come is asking for the hours, not for a person now:
# "hvornår kan man ringe til jer i dag?", "what time can I call you?"
WHEN_TO_CALL = rx(
    r"hvornår (?:kan|må|skal) (?:jeg|man|vi) (?:\w+ )?(?:ringe|komme|få fat|henvende|"
    r"kontakte)",
    r"(?:when|what time) (?:can|may|should) (?:i|we|one) (?:call|ring|reach|come|contact)")
