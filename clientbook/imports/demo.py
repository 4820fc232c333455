"""A realistic demo book (a jeweller's), so a new shop can explore before importing its own.

Deterministic: the same seed gives the same clients. Dates are placed relative to
today in the shop's time zone, so some birthdays and anniversaries always fall in
the next two weeks and the Today list has work on it.
"""
from __future__ import annotations

import calendar
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

import phonenumbers
import sqlalchemy as sa
from flask import current_app

from clientbook.extensions import db
from clientbook.conversations.demo import seed_demo_conversations
from clientbook.jobs.demo import seed_demo_jobs
from clientbook.text import fold
from clientbook.models import (
    Client, ClientTag, ImportantDate, Note, Preference, PreferenceKey, Purchase, PurchaseItem, Role, Shop, User,
    WishlistItem, utcnow,
)
from clientbook.search_index import refresh_search_tokens
from clientbook.shop import shop_today
from clientbook.signals import client_changed, purchase_recorded

DEMO_SIZE = 60
SOURCE = "demo book"

FIRST_NAMES = (
    ("Éloïse", "f"), ("Chloé", "f"), ("Zoë", "f"), ("Inès", "f"), ("Noémie", "f"), ("Hélène", "f"), ("Maëlle", "f"),
    ("Anaïs", "f"), ("Léa", "f"), ("Renée", "f"), ("Siobhán", "f"), ("Amara", "f"), ("Yuki", "f"), ("Sofia", "f"),
    ("Margot", "f"), ("Priya", "f"), ("Camille", "f"), ("Ingrid", "f"), ("Lucía", "f"), ("Olivia", "f"),
    ("Grace", "f"), ("Fatima", "f"), ("Nora", "f"), ("Charlotte", "f"), ("Aurélien", "m"), ("François", "m"),
    ("José", "m"), ("Søren", "m"), ("Björn", "m"), ("Mathéo", "m"), ("Rémi", "m"), ("Karim", "m"), ("Thomas", "m"),
    ("Liam", "m"), ("Hugo", "m"), ("Nikolai", "m"), ("Daniel", "m"), ("Kenji", "m"), ("Marco", "m"), ("Samuel", "m"),
)
LAST_NAMES = (
    "Dubois", "Lefèvre", "Nguyen", "O'Brien", "García", "Müller", "Rossi", "Kowalski", "Haddad", "Johansson",
    "Martin", "Bernard", "Moreau", "Laurent", "Fontaine", "Girard", "Petit", "Okafor", "Tanaka", "Silva",
    "Da Costa", "Van der Berg", "Benali", "Chevalier", "Lambert", "Roussel", "Fischer", "Andersen", "Costa", "Blanc",
)
SPOUSES_F = ("Anna", "Claire", "Marie", "Sophie", "Julia", "Emma")
SPOUSES_M = ("Paul", "Louis", "Antoine", "David", "Julien", "Marc")
TAGS = ("VIP", "bridal", "watch collector", "engagement", "gift buyer", "repair client", "newsletter", "pearl lover")
NOTES = (
    "Prefers to be contacted in the late afternoon.",
    "Looking for a matching pair of earrings for her sister's wedding in June.",
    "Collects vintage Omega; ask about the Seamaster next time one comes in.",
    "Allergic to nickel — only gold or platinum.",
    "Came in with her mother; both loved the pearl collection.",
    "Proposal planned for the holidays — keep it quiet if the partner calls!",
    "Likes a glass of champagne when trying on pieces.",
    "Bought a gift for his wife's 40th; she loved it.",
)
PREFERENCES = {
    "Ring size": ("48", "50", "52", "53", "54", "56", "58", "60"),
    "Metal": ("Yellow gold", "White gold", "Rose gold", "Platinum", "Silver"),
    "Style": ("Minimal", "Vintage", "Art deco", "Bold statement", "Classic", "Bohemian"),
    "Favourite brands": ("Cartier", "Omega", "Pomellato", "Mikimoto", "Tudor", "Chopard"),
    "Budget": ("Under 500", "500–1,500", "1,500–5,000", "Above 5,000"),
    "Dress size": ("34", "36", "38", "40", "42"),
}
CATALOGUE = {
    "Rings": (("Solitaire diamond ring", 180000, 650000), ("Eternity band, white gold", 95000, 240000),
              ("Signet ring", 45000, 120000), ("Sapphire cocktail ring", 120000, 380000)),
    "Necklaces": (("Akoya pearl strand", 85000, 260000), ("Gold chain, 45 cm", 38000, 90000),
                  ("Diamond pendant", 70000, 210000)),
    "Earrings": (("Pearl studs", 18000, 45000), ("Diamond hoops", 60000, 180000), ("Emerald drops", 95000, 250000)),
    "Watches": (("Omega Seamaster", 520000, 690000), ("Tudor Black Bay", 380000, 450000),
                ("Cartier Tank", 310000, 420000)),
    "Repairs": (("Ring resizing", 4500, 9000), ("Watch service", 25000, 60000), ("Pearl restringing", 6000, 12000),
                ("Clasp replacement", 3500, 8000)),
}
WISHES = ("Tennis bracelet in white gold", "Cartier Love bracelet", "Vintage Rolex Datejust", "Tahitian pearl pendant",
          "Matching wedding bands", "Emerald ring, oval cut", "Diamond studs, 0.5 ct each")


class DemoRefused(RuntimeError):
    pass


@dataclass
class DemoSummary:
    clients: int
    purchases: int
    dates: int


def _phone(rng: random.Random, country: str) -> str | None:
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return None
    # Vary only the last two digits of the documented example number, so demo numbers stay in its range.
    national = str(example.national_number)
    candidate = phonenumbers.PhoneNumber(country_code=example.country_code,
                                         national_number=int(national[:-2] + f"{rng.randrange(100):02d}"))
    return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)


def _on(day: date, year: int | None) -> dict:
    """The month and day of `day`, in `year` (or year-less); 29 February moves to the 28th in common years."""
    month, day_of_month = day.month, day.day
    if year and month == 2 and day_of_month == 29 and not calendar.isleap(year):
        day_of_month = 28
    return {"month": month, "day": day_of_month, "year": year}


def _add_dates(client: Client, index: int, gender: str, today: date, rng: random.Random) -> int:
    """Birthdays (some year-less), anniversaries, a spouse's birthday; a share of them in the next two weeks."""
    soon = lambda offset: today + timedelta(days=1 + offset % 13)  # noqa: E731
    later = lambda: today + timedelta(days=rng.randrange(15, 365))  # noqa: E731
    birthday = soon(index * 3) if index % 5 == 0 else later()
    client.important_dates.append(ImportantDate(
        kind="birthday", **_on(birthday, rng.randrange(1955, 2003) if index % 3 != 1 else None)))
    added = 1
    if index % 4 == 0:
        anniversary = soon(index) if index % 8 == 0 else later()
        client.important_dates.append(ImportantDate(
            kind="anniversary", **_on(anniversary, rng.randrange(1990, 2022) if index % 8 != 4 else None)))
        added += 1
    if index % 6 == 0:
        spouse = rng.choice(SPOUSES_M if gender == "f" else SPOUSES_F)
        spouse_birthday = soon(index + 2) if index % 12 == 0 else later()
        client.important_dates.append(ImportantDate(
            kind="birthday", for_whom=f"{'husband' if gender == 'f' else 'wife'} {spouse}", **_on(spouse_birthday, None)))
        added += 1
    if index == 7:
        client.important_dates.append(ImportantDate(
            kind="custom", label="Graduation", for_whom="daughter Léa", **_on(soon(4), None)))
        added += 1
    return added


def seed_demo(force: bool = False, seed: int = 1729) -> DemoSummary:
    """Add the demo book; the caller commits. Refuses when the book already has clients unless forced."""
    has_clients = db.session.scalar(sa.select(sa.func.count()).select_from(Client)) > 0
    if has_clients and not force:
        raise DemoRefused("The client book already has clients. The demo book is meant for an empty book.")
    shop = db.session.scalar(sa.select(Shop).limit(1))
    if shop is None:
        raise DemoRefused("Set up the shop first.")
    rng = random.Random(seed)
    today = shop_today()
    now = utcnow()
    staff = db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.id)).all()
    associates = [u for u in staff if u.role == Role.ASSOCIATE] or staff
    keys = {k.name.casefold(): k for k in db.session.scalars(sa.select(PreferenceKey))}
    taken_emails = set(db.session.scalars(sa.select(Client.email).where(Client.email.is_not(None))))

    clients: list[Client] = []
    dates = 0
    used_names: set[tuple[str, str]] = set()
    while len(clients) < DEMO_SIZE:
        first, gender = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        if (first, last) in used_names:
            continue
        used_names.add((first, last))
        index = len(clients)
        local = re.sub(r"[^a-z.]", "", fold(f"{first}.{last}"))
        email = f"{local}@example.{('com', 'org', 'net')[index % 3]}"  # reserved domains: never a real inbox
        client = Client(
            first_name=first, last_name=last, email=None if email in taken_emails or index % 11 == 5 else email,
            phone=_phone(rng, shop.country) if index % 7 else None,
            address=f"{rng.randrange(1, 120)} rue des Orfèvres" if index % 3 == 0 else "",
            assigned_to_id=rng.choice(associates).id if associates and index % 5 else None,
            preferred_channel=rng.choice(("sms", "email", "phone", None)),
            created_at=now - timedelta(days=rng.randrange(30, 900)),
        )
        client.phone_valid = client.phone is not None
        if client.email and rng.random() < 0.8:
            client.email_opt_in, client.email_opt_in_at, client.email_opt_in_source = True, now, "in shop (demo)"
        if client.phone and rng.random() < 0.6:
            client.sms_opt_in, client.sms_opt_in_at, client.sms_opt_in_source = True, now, "in shop (demo)"
        db.session.add(client)
        clients.append(client)

        for tag in rng.sample(TAGS, rng.choice((0, 1, 1, 2, 3))):
            client.tags.append(ClientTag(tag=tag))
        for key_name in rng.sample(sorted(PREFERENCES), rng.randrange(1, 4)):
            key = keys.get(key_name.casefold())
            if key is not None:
                client.preferences.append(Preference(key=key, value=rng.choice(PREFERENCES[key_name])))
        dates += _add_dates(client, index, gender, today, rng)

    db.session.flush()
    purchases = 0
    for index, client in enumerate(clients):
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4, 6))):
            purchases += 1
            purchase = Purchase(client_id=client.id, purchased_on=today - timedelta(days=rng.randrange(3, 730)),
                                associate_id=client.assigned_to_id or (staff[0].id if staff else None),
                                external_id=f"DEMO-{index:03d}-{purchases:04d}", created_at=now)
            for _item in range(rng.choice((1, 1, 1, 2, 3))):
                category = rng.choice(tuple(CATALOGUE))
                description, low, high = rng.choice(CATALOGUE[category])
                purchase.items.append(PurchaseItem(
                    description=description, category=category, quantity=1,
                    sku=f"{category[:3].upper()}-{rng.randrange(1000, 9999)}",
                    amount_cents=rng.randrange(low // 500, high // 500) * 500))
            purchase.total_cents = sum(item.amount_cents for item in purchase.items)
            db.session.add(purchase)
        if rng.random() < 0.35:
            db.session.add(WishlistItem(client_id=client.id, description=rng.choice(WISHES),
                                        note="Mentioned while browsing." if rng.random() < 0.5 else "",
                                        added_by_id=client.assigned_to_id))
        if rng.random() < 0.45:
            db.session.add(Note(client_id=client.id, body=rng.choice(NOTES), author_id=client.assigned_to_id,
                                created_at=now - timedelta(days=rng.randrange(1, 400))))

    db.session.flush()
    seed_demo_jobs(clients, associates, today)
    seed_demo_conversations(clients, associates, today)
    refresh_search_tokens([c.id for c in clients])
    ids = [c.id for c in clients]
    client_changed.send(current_app._get_current_object(), client_ids=ids)
    purchase_recorded.send(current_app._get_current_object(), client_ids=ids)
    return DemoSummary(clients=len(clients), purchases=purchases, dates=dates)
