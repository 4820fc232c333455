"""Small builders shared by the client book tests."""
from __future__ import annotations

from clientbook.extensions import db
from clientbook.models import Client, ClientTag, Shop
from clientbook.search_index import refresh_search_tokens

HX = {"HX-Request": "true"}


def make_client(first_name: str = "Anna", last_name: str = "Martin", *, email: str | None = None,
                phone: str | None = None, assigned_to_id: int | None = None, tags: tuple[str, ...] = (),
                **fields) -> int:
    """Insert a client (phone as given, assumed E.164 unless phone_valid=False) and index it; returns its id."""
    client = Client(first_name=first_name, last_name=last_name, email=email, phone=phone,
                    phone_valid=fields.pop("phone_valid", phone is not None), assigned_to_id=assigned_to_id, **fields)
    client.tags = [ClientTag(tag=t) for t in tags]
    db.session.add(client)
    db.session.flush()
    refresh_search_tokens([client.id])
    db.session.commit()
    return client.id


def allow_associates_everything(value: bool = True) -> None:
    shop = db.session.query(Shop).one()
    shop.associates_see_all_clients = value
    db.session.commit()
