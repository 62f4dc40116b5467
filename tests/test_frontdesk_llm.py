"""The frontdesk in LLM mode against the fake OpenAI-compatible server: the model's
answer is used when it is valid; any failure falls back to the grounded reply, is
counted, and the conversation goes on."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from bot.frontdesk import Frontdesk, TurnInput
from bot.llm import LLM
from ddh.settings import Settings
from evals.fake_llm import FakeOpenAI, Reply
from store.outcomes import OutcomeStore, database_url

AT = datetime.fromisoformat("2026-11-24T10:15:00+01:00")


@pytest.fixture
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def desk(knowledge, fake, tmp_path):
    llm = LLM.from_settings(Settings(llm_base_url=fake.url, llm_api_key="k",
                                     llm_timeout_s=0.5))
    store = OutcomeStore(database_url(None, tmp_path))
    yield Frontdesk(knowledge, store, llm=llm), store
    store.close()


def decisions(store, cid):
    return store.conversation(cid)["decisions"]


def test_valid_llm_answer_is_used_with_citation_link(desk, fake):
    frontdesk, store = desk

    def cite_first(req):
        data = req.json["messages"][-1]["content"]
        gid = data.split('"id": "')[1].split('"')[0]
        return Reply.json({"answer": "Du bestiller et nyt sundhedskort på borger.dk med MitID.",
                           "citations": [gid]})

    fake.script(cite_first)
    cid = uuid.uuid4().hex
    r = frontdesk.handle(TurnInput(cid, "jeg har mistet mit sundhedskort", at=AT))
    assert r.action == "answer" and r.topic == "sundhedskort"
    assert "Du bestiller et nyt sundhedskort på borger.dk med MitID." in r.reply
    assert "https://" in r.reply and r.reply.endswith("Hjalp det?")
    assert frontdesk.llm.metrics.snapshot()["ok"] == 1
    assert len(fake.requests) == 1
    assert decisions(store, cid)[0]["mode"] == "llm"


@pytest.mark.parametrize("reply", [Reply(status=500), Reply(content="not json"),
                                   Reply.json({"answer": "Ring 99 99 99 99.",
                                               "citations": ["nope"]}),
                                   Reply(content="{}", delay=2.0)])
def test_any_llm_failure_falls_back_to_the_grounded_answer(desk, fake, reply):
    frontdesk, store = desk
    fake.script(reply)
    cid = uuid.uuid4().hex
    r = frontdesk.handle(TurnInput(cid, "jeg har mistet mit sundhedskort", at=AT))
    assert r.action == "answer" and r.topic == "sundhedskort"
    guide = frontdesk.knowledge.retriever.guides[r.guides[0]["id"]]
    assert guide.summary in r.reply  # the grounded text
    snap = frontdesk.llm.metrics.snapshot()
    assert snap["ok"] == 0 and sum(snap["fallbacks"].values()) == 1
    assert decisions(store, cid)[0] | {"reason": None} == {
        "seq": 1, "action": "answer", "topic": "sundhedskort", "target": None, "reason": None,
        "mode": "llm-fallback"}


def test_handoff_summary_from_the_llm(desk, fake):
    frontdesk, store = desk
    fake.script(Reply.json({"summary": "Borger i Horsens vil tale med en medarbejder om MitID."}),
                Reply(content="Borger i Horsens kan ikke logge på MitID.\nVil tale med en person."))
    cid = uuid.uuid4().hex
    frontdesk.handle(TurnInput(cid, "hvordan logger jeg på mitid", municipality="0615", at=AT))
    r = frontdesk.handle(TurnInput(cid, "jeg vil tale med en medarbejder", at=AT))
    assert r.action == "handoff"
    assert r.handoff.summary == ("Borger i Horsens kan ikke logge på MitID.\n"
                                    "Vil tale med en person.")
    handoffs = store.conversation(cid)["handoffs"]
    assert len(handoffs) == 1 and handoffs[0]["summary"] == r.handoff.summary
