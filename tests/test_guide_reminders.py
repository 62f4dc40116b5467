"""Freshness reminders by e-mail (issue 19): each municipality's published guides past
or near their review-by date go, once a day whatever the number of gateway processes,
to the municipality's mailbox, through the e-mail outbox and a real SMTP server."""

from __future__ import annotations

import time
from datetime import date, timedelta

from gateway.mail_transport import ReplySender
from gateway.mail_transport import SmtpServer as SmtpConfig
from handoff import guide_reminders
from handoff.guide_desk import GuideDesk
from store.email import EmailStore
from store.guides import GuideStore
from store.outcomes import OutcomeStore, database_url
from tests.mail_servers import smtp_server
from tests.test_guide_store import ED, FIELDS, MIA

TODAY = date(2027, 5, 20)
BOX = "vejledninger@aarhus.example"


def test_due_guides_are_mailed_once_a_day(tmp_path, registry):
    store = OutcomeStore(database_url(None, tmp_path))
    desk = GuideDesk(GuideStore(store.sessions), registry, lambda guide_id: False)
    soon = desk.create(ED, "0751", {**FIELDS, "title": "Snart forældet",
                                    "review_by": TODAY + timedelta(days=5)})
    late = desk.create(ED, "0751", {**FIELDS, "title": "Allerede forældet",
                                    "review_by": TODAY - timedelta(days=3)})
    fresh = desk.create(ED, "0751", {**FIELDS, "title": "Helt frisk",
                                     "review_by": TODAY + timedelta(days=200)})
    draft = desk.create(ED, "0751", {**FIELDS, "title": "Kun en kladde",
                                     "review_by": TODAY - timedelta(days=1)})
    for record in (soon, late, fresh):
        desk.publish(MIA, record.id)
    assert draft.status == "draft"

    found = guide_reminders.reminders(desk, registry, TODAY, 30, {"0751": BOX})
    assert [(r.municipality, r.to) for r in found] == [("0751", BOX)]
    body = found[0].body
    assert "Allerede forældet" in body and "3 dage over" in body
    assert "Snart forældet" in body and "om 5 dage" in body
    assert "Helt frisk" not in body and "Kun en kladde" not in body
    assert body.index("Allerede forældet") < body.index("Snart forældet")  # most urgent first
    assert guide_reminders.reminders(desk, registry, TODAY, 30, {}) == []  # no mailbox

    mails = EmailStore(store.sessions)
    assert guide_reminders.queue(mails, found, "ddh@frontdesk.example", TODAY) == 1
    # a second process (or the next hour) the same day: not queued again; tomorrow: again
    assert guide_reminders.queue(mails, found, "ddh@frontdesk.example", TODAY) == 0
    with smtp_server() as smtp:
        sender = ReplySender(mails, SmtpConfig("127.0.0.1", smtp.port))
        assert sender.deliver_due()["sent"] == 1
        deadline = time.monotonic() + 10
        while not smtp.inbox.to(BOX) and time.monotonic() < deadline:
            time.sleep(0.05)
        (mail,) = smtp.inbox.to(BOX)
        assert mail["Subject"] == "2 vejledninger skal gennemses"
        assert "Allerede forældet" in mail.get_content()
        assert sender.deliver_due().get("sent", 0) == 0  # sent once
    assert guide_reminders.queue(mails, found, "ddh@frontdesk.example",
                                 TODAY + timedelta(days=1)) == 1
    store.close()
