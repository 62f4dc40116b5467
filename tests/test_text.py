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


def test_compounds_the_corpus_does_not_use_whole_are_split():
    from knowledge.text import split_compound

    vocab = set(analyse("vuggestue plads drikke vand sundhed kort"))
    assert split_compound(analyse("vuggestuepladsen")[0], vocab) == \
        analyse("vuggestue plads")
    assert split_compound(analyse("sundhedskortet")[0], vocab) == analyse("sundhed kort")
    assert split_compound("xyzzy", vocab) == []
    assert split_compound(analyse("kortvand")[0], {"kort"}) == []  # both parts, or none


def test_p_before_a_word_is_parking():
    """"p-afgift" is a parking fine, not a tax word left alone when the "p" drops out."""
    for short, long in (("p-afgift", "parkeringsafgift"), ("p-pladsen", "parkeringspladsen"),
                        ("P-vagten", "parkeringsvagten"), ("p-huset", "parkeringshuset")):
        assert analyse(f"jeg fik en {short} i går") == analyse(f"jeg fik en {long} i går")
    assert analyse("type p") == analyse("type p")  # a lone letter is left as it is
    assert "parkering" not in " ".join(analyse("mitid-appen og e-boks"))
