"""Emergencies however told (112), and despair (Livslinien besides 112)."""

from __future__ import annotations

from bot.cues import rx

EMERGENCY = rx(
    r"112", r"ambulance", r"det brænder", r"brand i", r"ild i", r"hjertestop", r"bevidstløs",
    # something burning now: "naboens hæk brænder", "ilden breder sig", "står i flammer"
    r"(?:hæk|hus|bil|skur|carport|tag|garage|have|træ|køkken|lejlighed|opgang|kælder|"
    r"container|skraldespand|komfur|gryde|sofa|hytte|lade|stald)(?:en|et|n|t)? "
    r"(?:\w+ )?brænder(?! af| på| \w+ af)", r"ild(?:en)? (?:breder|spreder) sig",
    r"står i (?:lys )?(?:flammer|brand)", r"flammerne",
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
    r"smoke (?:is )?coming (?:out|from)",
    r"(?:kommer|vælter|siver|står) (?:tyk |sort |grå |hvid |meget |en masse )?røg (?:ud )?"
    r"(?:fra|af|ud)",
    r"røg (?:kommer|vælter|siver|står) (?:\w+ )?ud",
    # someone screaming inside: "jeg kan høre nogen råbe derinde"
    r"(?:nogen|en|folk|han|hun) (?:råbe|råber|skrige|skriger) (?:om hjælp|derinde|inde|"
    r"indenfor|inde fra)", r"(?:brand|røg)alarm(?:en)? (?:hyler|bipper|går)",
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
DESPAIR = rx(r"selvmord(?:stanker)?", r"slå mig selv ihjel", r"tage mit (?:eget )?liv",
             r"tage livet af mig", r"(?:vil|orker) ikke (?:leve|mere leve)",
             r"ikke leve (?:mere|længere)", r"ende (?:det hele|mit liv)", r"gøre en ende på",
             r"kill myself", r"end my life", r"suicid(?:e|al)")
