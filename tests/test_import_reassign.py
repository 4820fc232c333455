"""Bulk reassignment: one batched UPDATE and one signal, with open reminders following their clients."""
from datetime import date

import sqlalchemy as sa

from clientbook.clients.records import assign
from clientbook.extensions import db
from clientbook.models import Client, Reminder
from clientbook.reminders.generation import generate
from clientbook.signals import client_changed, clients_reassigned
from tests.support.reminders import add_date, only_rules


def test_reassigning_many_clients_is_one_signal_and_reminders_follow(app, shop):
    sent = []

    def record(sender, **kwargs):
        sent.append(kwargs)

    with app.app_context():
        only_rules(("Birthday", "date", "birthday", 0))
        ada, bea = shop["associate"], shop["associate2"]
        clients = [Client(first_name=f"C{n}", last_name="Book", assigned_to_id=ada) for n in range(1200)]
        db.session.add_all(clients)
        db.session.flush()
        for client in clients[:50]:
            add_date(client, "birthday", 3, 1)
        generate(date(2026, 3, 1), date(2026, 3, 1))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder).where(Reminder.owner_id == ada)) == 50
        ids = [c.id for c in clients[:1000]]
        clients_reassigned.connect(record, app)
        client_changed.connect(record, app)
        try:
            assert assign(ids, bea) == 1000
            db.session.commit()
        finally:
            clients_reassigned.disconnect(record, app)
            client_changed.disconnect(record, app)
        assert len(sent) == 1 and sorted(sent[0]["client_ids"]) == sorted(ids)
        owners = dict(db.session.execute(sa.select(Client.assigned_to_id, sa.func.count()).group_by(Client.assigned_to_id)).all())
        assert owners == {bea: 1000, ada: 200}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder).where(Reminder.owner_id == bea)) == 50

