"""The reference book: a deterministic shop with tens of thousands of clients, built fast and cached.

The schema comes from db.create_all(); the few rows with logic behind them (the shop, staff,
preference keys, per-shop defaults) go through the ORM like set-up does; the bulk rows go in with
sqlite3 executemany, every column filled from the model's own defaults and type converters so a
new column in a model doesn't break the builder. The cache key is the size plus a fingerprint of
the schema and of this file, so a model change rebuilds it.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import random
import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

PASSWORD = "bench password 2024"
SEED = 20240601
ASSOCIATES = 20
SHOP = {"name": "Maison Perle", "country": "FR", "timezone": "Europe/Paris", "currency": "EUR"}

FIRST_NAMES = (
    "Marie", "Camille", "Léa", "Chloé", "Manon", "Inès", "Éloïse", "Zoé", "Anaïs", "Hélène", "Amélie", "Clémence",
    "Noémie", "Gaëlle", "Océane", "Renée", "Béatrice", "Françoise", "Sophie", "Julie", "Laura", "Emma", "Alice",
    "Louise", "Jeanne", "Sarah", "Anna", "Eva", "Nina", "Olivia", "Jean", "Pierre", "Louis", "Hugo", "Théo",
    "Lucas", "Gabriel", "Raphaël", "Noé", "Jérôme", "Loïc", "Gaël", "Benoît", "Frédéric", "José", "Nicolás",
    "Björn", "Søren", "Łukasz", "Zoltán", "Mathieu", "Antoine", "Thomas", "Nicolas", "Julien", "Paul", "Marc",
    "Victor", "Arthur", "Adam", "Yasmine", "Aïcha", "Karim", "Mehdi", "Sofia", "Giulia", "Matteo", "Lena",
)
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
    "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand",
    "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
    "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
    "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger", "Roche",
    "Müller", "Núñez", "Ødegaard", "Kowalski", "Rossi", "Schmidt", "O'Brien", "Le Goff", "De la Fontaine",
    "Benali", "Haddad", "Fernández", "Côté", "Pelletier", "Bélanger", "Lévesque", "Bouchard", "Gagné", "Thériault",
)
TAGS = ("vip", "bridal", "watches", "gold", "silver", "pearls", "newsletter", "gift-buyer", "collector", "trade")
CATEGORIES = ("rings", "necklaces", "earrings", "bracelets", "watches", "repairs", "gift cards")
ITEMS = {
    "rings": ("Solitaire ring", "Eternity band", "Signet ring", "Stacking ring"),
    "necklaces": ("Pearl necklace", "Gold chain", "Pendant", "Locket"),
    "earrings": ("Diamond studs", "Hoop earrings", "Drop earrings"),
    "bracelets": ("Tennis bracelet", "Bangle", "Charm bracelet"),
    "watches": ("Automatic watch", "Dress watch", "Watch strap"),
    "repairs": ("Ring resizing", "Clasp repair", "Battery change"),
    "gift cards": ("Gift card",),
}
PREFERENCE_VALUES = ("52", "54", "M", "38", "rose gold", "platinum", "minimalist", "vintage", "Cartier", "€500-€1500")
NOTE_BODIES = (
    "Prefers to be contacted after 6pm.", "Looking for an anniversary gift in rose gold.",
    "Came in with her sister; loved the pearl collection.", "Asked to be told when the new watches arrive.",
    "Ring resized to 54, collect next week.", "Allergic to nickel - gold or platinum only.",
)
FOR_WHOM = ("wife Anna", "husband Marc", "daughter Léa", "son Hugo", "mother Hélène", "partner Sam")


@dataclass
class BookSize:
    clients: int
    purchases: int
    dates: int
    associates: int = ASSOCIATES

    @classmethod
    def for_clients(cls, clients: int) -> "BookSize":
        return cls(clients=clients, purchases=clients * 5, dates=clients * 2)


@dataclass
class BookInfo:
    """What the benchmark needs to know about a built book (saved next to it)."""

    size: dict
    anchor: str  # the day the book was built around; runs shift dates by (today - anchor)
    password: str
    owner_email: str
    manager_email: str
    busiest_associate_email: str
    associate_emails: list[str]
    many_purchase_client_ids: list[int]
    phone_tails: list[str]
    name_prefixes: list[str]
    accented_prefixes: list[str]
    tag_queries: list[str]
    build_seconds: float = 0.0
    rows: dict = field(default_factory=dict)


def schema_fingerprint(metadata: sa.MetaData, dialect) -> str:
    digest = hashlib.sha256()
    for table in metadata.sorted_tables:
        digest.update(str(sa.schema.CreateTable(table).compile(dialect=dialect)).encode())
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            digest.update(str(sa.schema.CreateIndex(index).compile(dialect=dialect)).encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:12]


def cache_key(size: BookSize, fingerprint: str) -> str:
    return f"book-{size.clients}-{fingerprint}"


class RowWriter:
    """executemany into one table, every column filled: given values, else the model's default."""

    def __init__(self, connection: sqlite3.Connection, table: sa.Table, dialect):
        self.connection = connection
        self.table = table
        self.columns = list(table.columns)
        self.fallback = {}
        self.processors = {}
        for column in self.columns:
            default = column.default
            if default is not None and getattr(default, "is_scalar", False):
                self.fallback[column.name] = default.arg
            elif default is not None and getattr(default, "is_callable", False):
                self.fallback[column.name] = default.arg(None)  # e.g. utcnow, once per build
            else:
                self.fallback[column.name] = None
            processor = column.type.bind_processor(dialect)
            if processor is not None:
                self.processors[column.name] = processor
        names = ", ".join(f'"{c.name}"' for c in self.columns)
        marks = ", ".join("?" for _ in self.columns)
        self.sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
        self.count = 0
        # (name, default, converter) per column, read once: this loop runs for every row of the book.
        self.plan = [(c.name, self.fallback[c.name], self.processors.get(c.name)) for c in self.columns]

    def _tuple(self, row: dict) -> list:
        get = row.get
        return [convert(value) if convert is not None and value is not None else value
                for name, default, convert in self.plan for value in (get(name, default),)]

    def write(self, rows) -> None:
        batch = []
        for row in rows:
            batch.append(self._tuple(row))
            if len(batch) >= 20000:
                self.connection.executemany(self.sql, batch)
                self.count += len(batch)
                batch.clear()
        if batch:
            self.connection.executemany(self.sql, batch)
            self.count += len(batch)


def _valid_day(rng: random.Random, month: int) -> int:
    days = 29 if month == 2 else (30 if month in (4, 6, 9, 11) else 31)
    return rng.randint(1, days)


def _phone(index: int) -> str:
    # Unique French mobile numbers: index * 7919 is a permutation modulo 10**8.
    return f"+336{(index * 7919 + 12345678) % 10**8:08d}"


def build(db_path: Path, size: BookSize, anchor: date, make_app) -> BookInfo:
    """Create the book at db_path (which must not exist). make_app(uri) returns a Flask app."""
    from clientbook.text import fold
    from clientbook.extensions import db
    from clientbook.models import (
        Client, ClientExternalId, ClientSearchToken, ClientTag, ImportantDate, Message, Note, Preference,
        PreferenceKey, Purchase, PurchaseItem, Role, Shop, User, WishlistItem,
    )
    from clientbook.passwords import hash_password
    from clientbook.models.clients import client_sort_name
    from clientbook.search_index import client_tokens
    from clientbook.settings import add_default_preference_keys
    from clientbook.signals import shop_created

    started = time.perf_counter()
    rng = random.Random(SEED)
    app = make_app(f"sqlite:///{db_path}")
    with app.app_context():
        db.create_all()
        password_hash = hash_password(PASSWORD)
        db.session.add(Shop(**SHOP))
        staff = [User(name="Olivia Owner", email="owner@bench.test", role=Role.OWNER, password_hash=password_hash),
                 User(name="Max Manager", email="manager@bench.test", role=Role.MANAGER, password_hash=password_hash)]
        for number in range(1, size.associates + 1):
            staff.append(User(name=f"{FIRST_NAMES[number]} Associate{number:02d}",
                              email=f"associate{number:02d}@bench.test", role=Role.ASSOCIATE,
                              password_hash=password_hash))
        db.session.add_all(staff)
        add_default_preference_keys()
        db.session.flush()
        shop_created.send(app)
        db.session.commit()
        associate_ids = [u.id for u in staff if u.role == Role.ASSOCIATE]
        preference_key_ids = list(db.session.scalars(sa.select(PreferenceKey.id)))
        dialect = db.engine.dialect
        db.session.remove()
        db.engine.dispose()

    bulk_models = (Client, ClientTag, ClientExternalId, ClientSearchToken, Preference, ImportantDate, Purchase,
                   PurchaseItem, Note, WishlistItem, Message)
    # A scratch file loaded in one go: no journal, no fsync, indexes built once at the end (far
    # faster than keeping them up to date row by row on a 500 000-client book).
    indexes = [index for model in bulk_models for index in model.__table__.indexes]
    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA foreign_keys=OFF")
    connection.execute("PRAGMA cache_size=-262144")  # 256 MB
    for index in indexes:
        connection.execute(f'DROP INDEX IF EXISTS "{index.name}"')
    connection.execute("BEGIN")
    writers = {model: RowWriter(connection, model.__table__, dialect) for model in bulk_models}

    # Clients: one associate looks after a tenth of the book (the busy one), a few are unassigned.
    busiest = associate_ids[0]
    clients = []
    phone_tails = []
    for client_id in range(1, size.clients + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        roll = rng.random()
        assigned = busiest if roll < 0.10 else (None if roll < 0.15 else rng.choice(associate_ids[1:]))
        email = f"{fold(first)}.{fold(last).replace(' ', '').replace(chr(39), '')}{client_id}@example.com" \
            if rng.random() < 0.85 else None
        phone = _phone(client_id) if rng.random() < 0.9 else None
        if phone and len(phone_tails) < 40 and rng.random() < 0.05:
            phone_tails.append(phone[-4:])
        tags = sorted(set(rng.sample(TAGS, rng.choice((1, 1, 2))))) if rng.random() < 0.35 else []
        clients.append((client_id, first, last, email, phone, tags, assigned))
    writers[Client].write({
        "id": cid, "first_name": first, "last_name": last, "email": email, "phone": phone,
        "phone_valid": phone is not None, "assigned_to_id": assigned, "preferred_channel": "sms" if phone else "email",
        "sms_opt_in": phone is not None and cid % 3 != 0, "email_opt_in": email is not None and cid % 4 != 0,
        "address": f"{cid % 200 + 1} rue de la Paix, 75002 Paris",
        "sort_name": client_sort_name(first, last, email, phone),  # as search_index.refresh_search_tokens writes it
    } for cid, first, last, email, phone, tags, assigned in clients)
    writers[ClientTag].write({"client_id": c[0], "tag": tag} for c in clients for tag in c[5])
    writers[ClientExternalId].write(
        {"id": c[0], "client_id": c[0], "source": "shopify", "value": str(7_000_000 + c[0])}
        for c in clients if c[0] % 2 == 0)
    writers[ClientSearchToken].write(
        {"client_id": c[0], "token": token, "sort_key": client_sort_name(c[1], c[2], c[3], c[4])}
        for c in clients for token in client_tokens(c[1], c[2], c[3], c[4], c[5]))
    writers[Preference].write(
        {"client_id": c[0], "key_id": key_id, "value": rng.choice(PREFERENCE_VALUES)}
        for c in clients if rng.random() < 0.6
        for key_id in rng.sample(preference_key_ids, rng.randint(1, 3)))

    def dates():
        for date_id in range(1, size.dates + 1):
            client_id = (date_id - 1) % size.clients + 1 if date_id <= size.clients else rng.randint(1, size.clients)
            month = rng.randint(1, 12)
            roll = rng.random()
            kind = "birthday" if roll < 0.65 else ("anniversary" if roll < 0.85 else "custom")
            yield {"id": date_id, "client_id": client_id, "kind": kind, "month": month, "day": _valid_day(rng, month),
                   "year": rng.randint(1950, 2005) if rng.random() < 0.6 else None,
                   "label": "Name day" if kind == "custom" else "",
                   "for_whom": rng.choice(FOR_WHOM) if date_id > size.clients and kind != "custom" else ""}
    writers[ImportantDate].write(dates())

    # Purchases: a fifth go to the top 1% (collectors with many purchases), the rest anywhere.
    collectors = list(range(1, max(size.clients // 100, 1) + 1))
    assigned_of = {c[0]: c[6] for c in clients}
    items = []
    purchases = []
    purchase_counts: dict[int, int] = {}
    for purchase_id in range(1, size.purchases + 1):
        client_id = rng.choice(collectors) if rng.random() < 0.2 else rng.randint(1, size.clients)
        purchase_counts[client_id] = purchase_counts.get(client_id, 0) + 1
        total = 0
        for _ in range(rng.choice((1, 1, 2, 3))):
            category = rng.choice(CATEGORIES)
            amount = rng.randint(50, 5000) * 100
            total += amount
            items.append({"purchase_id": purchase_id, "description": rng.choice(ITEMS[category]),
                          "category": category, "sku": f"SKU-{rng.randint(1000, 9999)}", "quantity": 1,
                          "amount_cents": amount})
        purchases.append({"id": purchase_id, "client_id": client_id, "associate_id": assigned_of[client_id],
                          "purchased_on": anchor - timedelta(days=rng.randint(0, 3 * 365)),
                          "total_cents": total, "external_id": f"#{100000 + purchase_id}"})
    writers[Purchase].write(purchases)
    writers[PurchaseItem].write(items)
    del purchases, items

    writers[Note].write(
        {"client_id": rng.randint(1, size.clients), "author_id": rng.choice(associate_ids),
         "body": rng.choice(NOTE_BODIES)} for _ in range(size.clients // 2))
    writers[WishlistItem].write(
        {"client_id": rng.randint(1, size.clients), "description": rng.choice(ITEMS[rng.choice(CATEGORIES)]),
         "added_by_id": rng.choice(associate_ids)} for _ in range(size.clients // 5))
    sent_at = datetime.combine(anchor, datetime.min.time()) - timedelta(days=30)
    writers[Message].write(
        {"client_id": c[0], "user_id": c[6], "channel": "sms" if c[4] else "email", "purpose": "manual",
         "to_address": c[4] or c[3] or "", "body": f"Hello {c[1]}, thank you for your visit!", "state": "sent",
         "sent_at": sent_at, "idempotency_key": f"bench-{c[0]}"}
        for c in clients if (c[4] or c[3]) and (c[0] % 2 == 0 or c[0] in purchase_counts and c[0] <= len(collectors)))
    connection.execute("COMMIT")
    for index in indexes:
        connection.execute(str(sa.schema.CreateIndex(index).compile(dialect=dialect)))
    connection.execute("ANALYZE")
    connection.execute("PRAGMA journal_mode=WAL")  # as the app runs it
    connection.close()

    busiest_email = f"associate01@bench.test"
    many = sorted(purchase_counts, key=lambda cid: (-purchase_counts[cid], cid))[:50]
    return BookInfo(
        size=asdict(size), anchor=anchor.isoformat(), password=PASSWORD, owner_email="owner@bench.test",
        manager_email="manager@bench.test",
        busiest_associate_email=busiest_email,
        associate_emails=[f"associate{n:02d}@bench.test" for n in range(1, size.associates + 1)],
        many_purchase_client_ids=many, phone_tails=phone_tails or ["5678"],
        name_prefixes=["mar", "dub", "lef", "ber", "rou", "gar", "dup", "mor", "lau", "fon", "che", "ni"],
        accented_prefixes=["élo", "zoé", "josé", "anaïs", "hélè", "gaël", "lefè", "müll", "núñ", "ødeg", "côté"],
        tag_queries=["#vip", "#bridal", "#collector", "#pearls"],
        build_seconds=round(time.perf_counter() - started, 2),
        rows={model.__tablename__: writer.count for model, writer in writers.items()},
    )


def make_app(uri: str):
    from clientbook import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": uri, "HUEY_IMMEDIATE": True})


def dialect_of(uri: str) -> str:
    return uri.split(":", 1)[0].split("+", 1)[0]


def ensure_book(cache_dir: Path, size: BookSize, make_app=make_app, log=print) -> tuple[Path, BookInfo]:
    """The cached book for this size and schema, built first if needed."""
    from clientbook.extensions import db

    probe = make_app("sqlite://")
    with probe.app_context():
        fingerprint = schema_fingerprint(db.metadata, db.engine.dialect)
    key = cache_key(size, fingerprint)
    db_path, info_path = cache_dir / f"{key}.sqlite3", cache_dir / f"{key}.json"
    if db_path.exists() and info_path.exists():
        return db_path, BookInfo(**json.loads(info_path.read_text()))
    cache_dir.mkdir(parents=True, exist_ok=True)
    for stale in cache_dir.glob(f"book-{size.clients}-*"):  # an older schema's book of this size
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    partial = cache_dir / f"{key}.building.sqlite3"
    for leftover in cache_dir.glob(f"{key}.building.sqlite3*"):
        leftover.unlink()
    log(f"Building the reference book ({size.clients} clients, {size.purchases} purchases, "
        f"{size.dates} dates, {size.associates} associates)...")
    info = build(partial, size, date.today(), make_app)
    shutil.move(partial, db_path)
    info_path.write_text(json.dumps(asdict(info), indent=1))
    log(f"Built in {info.build_seconds:.1f} s: {info.rows}")
    return db_path, info


def shift_dates(db_path: Path, days: int) -> None:
    """Move purchase dates forward so a book built earlier looks as if it were built today."""
    if days == 0:
        return
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute("UPDATE purchase SET purchased_on = date(purchased_on, ?)", (f"{days:+d} days",))
    connection.close()


@contextlib.contextmanager
def working_book(cache_dir: Path, run_dir: Path, size: BookSize, log=print, postgres: bool = False):
    """A scratch copy of the cached book, dated as if built today: yields (database URI, BookInfo).
    With `postgres`, the copy runs on a throwaway PostgreSQL server, stopped at the end."""
    book_path, info = ensure_book(cache_dir, size, log=log)
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    days = (date.today() - date.fromisoformat(info.anchor)).days
    if not postgres:
        work_db = run_dir / "clientbook.sqlite3"
        shutil.copyfile(book_path, work_db)
        shift_dates(work_db, days)
        yield f"sqlite:///{work_db}", info
        return
    from bench import postgres as pg

    cached = ensure_postgres_book(book_path, log)
    server = pg.BenchPostgres()
    try:
        url = server.start_copy_of(cached)
        pg.shift_dates(url, days)
        yield url, info
    finally:
        server.stop()


def ensure_postgres_book(book_path: Path, log=print) -> Path:
    """The cached PostgreSQL data folder holding the same book, loaded from the SQLite one if needed."""
    from bench import postgres as pg

    cached = book_path.with_name(f"{book_path.stem}-{pg.cache_suffix()}.pgdata")
    if cached.exists():
        return cached
    for stale in book_path.parent.glob(f"book-{book_path.stem.split('-')[1]}-*.pgdata"):
        shutil.rmtree(stale, ignore_errors=True)
    log("Loading the book into PostgreSQL (once; kept in the cache)...")
    started = time.perf_counter()
    server = pg.BenchPostgres()
    try:
        url = server.start()
        counts = pg.load(book_path, url, make_app, log=log)
    except BaseException:
        server.stop()
        raise
    server.stop_keeping(cached)
    log(f"Loaded in {time.perf_counter() - started:.1f} s: {counts}")
    return cached


def write_shopify_csv(path: Path, rows: int, existing_emails: list[str]) -> None:
    """A Shopify customer export: mostly new people, one in twenty already in the book (by email)."""
    headers = ["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Default Address Company",
               "Default Address Address1", "Default Address Address2", "Default Address City",
               "Default Address Province Code", "Default Address Country Code", "Default Address Zip",
               "Default Address Phone", "Phone", "Accepts SMS Marketing", "Total Spent", "Total Orders", "Note",
               "Tax Exempt", "Tags"]
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers)
        for n in range(rows):
            first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[(n * 7) % len(LAST_NAMES)]
            email = existing_emails[n // 20] if n % 20 == 0 and n // 20 < len(existing_emails) \
                else f"shopper{n}@example.org"
            digits = f"{n:08d}"
            phone = f"+33 7 {digits[0:2]} {digits[2:4]} {digits[4:6]} {digits[6:8]}"
            writer.writerow([f"'{8_000_000 + n}", first, last, email, "yes" if n % 3 else "no", "",
                             f"{n % 120 + 1} avenue Foch", "", "Paris", "", "FR", "75016", "",
                             phone if n % 10 else "", "yes" if n % 4 == 0 else "no", f"{(n % 50) * 10}.00",
                             str(n % 7), "", "no", ", ".join(TAGS[n % len(TAGS):n % len(TAGS) + (n % 3)])])
