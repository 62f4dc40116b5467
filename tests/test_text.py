from knowledge.guide import slugify
from knowledge.text import analyse


def test_analyse_stems_and_folds_danish():
    assert analyse("Kørekortet") == analyse("koerekort")
    assert analyse("sundhedskortet") == ["sundhedskort"]
    assert "flyt" in analyse("jeg flytter")


def test_stop_words_and_fillers_are_dropped():
    assert analyse("øh hej jeg vil gerne have et pas") == ["pas"]


def test_slugify():
    assert slugify("Bestil nyt sundhedskort!") == "bestil-nyt-sundhedskort"
    assert slugify("Kørekort og påhæng") == "koerekort-og-paahaeng"
