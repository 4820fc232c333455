"""What the columns of a file mean: known exports (Shopify, Square, our own) and a mapping for any other CSV.

A Format maps each field we import to the header names that may hold it, in order
of preference. Headers are compared normalised (case, spaces and punctuation
ignored), so "Default Address Address1" and "default_address_address1" match.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from clientbook.imports.reading import Table, normalise_header


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    hint: str = ""


CLIENT_FIELDS = (
    Field("first_name", "First name"),
    Field("last_name", "Last name"),
    Field("email", "Email"),
    Field("phone", "Phone"),
    Field("birthday", "Birthday", "YYYY-MM-DD, or MM-DD without a year"),
    Field("anniversary", "Anniversary"),
    Field("tags", "Tags", "separated by commas or semicolons"),
    Field("email_opt_in", "Accepts email", "yes / no"),
    Field("sms_opt_in", "Accepts SMS", "yes / no"),
    Field("external_id", "Customer id in your POS"),
    Field("address", "Address"),
    Field("note", "Note"),
    Field("prior_spent", "Total spent before", "kept as history: added to lifetime spend"),
    Field("prior_orders", "Orders before", "kept as history: added to visits"),
)
CLIENT_IDENTITY_FIELDS = ("first_name", "last_name", "email", "phone")

PURCHASE_FIELDS = (
    Field("client_email", "Client email"),
    Field("client_phone", "Client phone"),
    Field("client_external_id", "Client id in your POS"),
    Field("purchased_on", "Date"),
    Field("description", "Item"),
    Field("category", "Category"),
    Field("amount", "Amount", "the line's total"),
    Field("sku", "SKU"),
    Field("quantity", "Quantity"),
    Field("order_id", "Order / receipt number", "rows with the same number become one purchase"),
)
PURCHASE_CLIENT_FIELDS = ("client_email", "client_phone", "client_external_id")


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    source: str  # external id source, and the "how obtained" of imported consent
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Fields whose candidate columns are all joined (address lines); others take the first non-empty.
    joined: frozenset[str] = frozenset({"address"})

    def resolve(self, table: Table) -> dict[str, list[int]]:
        """field -> indexes of the columns of this table that hold it."""
        index = table.column_index()
        resolved: dict[str, list[int]] = {}
        for name, candidates in self.columns.items():
            positions = [index[normalise_header(c)] for c in candidates if normalise_header(c) in index]
            if positions:
                resolved[name] = list(dict.fromkeys(positions))
        return resolved

    @property
    def consent_source(self) -> str:
        return f"import: {self.label}"


_SHOPIFY_ADDRESS = tuple(
    f"{prefix}{part}" for part in ("Company", "Address1", "Address2", "City", "Province Code", "Zip", "Country Code")
    for prefix in ("Default Address ", "")
)

SHOPIFY = Format(
    key="shopify", label="Shopify", source="shopify",
    columns={
        "first_name": ("First Name",),
        "last_name": ("Last Name",),
        "email": ("Email",),
        "phone": ("Phone", "Default Address Phone"),
        "email_opt_in": ("Accepts Email Marketing", "Accepts Marketing"),
        "sms_opt_in": ("Accepts SMS Marketing",),
        "tags": ("Tags",),
        "note": ("Note",),
        "external_id": ("Customer ID",),
        "address": _SHOPIFY_ADDRESS,
        "prior_spent": ("Total Spent",),
        "prior_orders": ("Total Orders",),
    },
)

SQUARE = Format(
    key="square", label="Square", source="square",
    columns={
        "first_name": ("First Name", "Given Name"),
        "last_name": ("Last Name", "Surname", "Family Name"),
        "email": ("Email Address", "Email"),
        "phone": ("Phone Number", "Phone"),
        "birthday": ("Birthday",),
        "email_opt_in": ("Email Subscription Status",),
        "email_unsubscribed": ("Email Unsubscribed",),
        "sms_opt_in": ("SMS Subscription Status",),
        "tags": ("Groups",),
        "note": ("Memo", "Note"),
        "external_id": ("Square Customer ID",),
        "reference_id": ("Reference ID",),
        "prior_spent": ("Total Spend", "Lifetime Spend"),
        "prior_orders": ("Transaction Count", "Total Visits"),
        "address": ("Company Name", "Street Address 1", "Address Line 1", "Street Address 2", "Address Line 2",
                    "City", "Locality", "State", "Postal Code", "Country"),
    },
)

# Our own export, so an export can be edited in a spreadsheet and imported back.
CLIENTBOOK = Format(
    key="clientbook", label="Clientbook export", source="clientbook",
    columns={
        "clientbook_id": ("id",),
        "first_name": ("first_name",), "last_name": ("last_name",), "email": ("email",), "phone": ("phone",),
        "birthday": ("birthday",), "anniversary": ("anniversary",), "tags": ("tags",),
        "email_opt_in": ("email_opt_in",), "sms_opt_in": ("sms_opt_in",), "external_ids": ("external_ids",),
        "address": ("address",),
    },
)

_SIGNATURES: list[tuple[Format, set[str], set[str], int]] = [
    # (format, headers that must all be present, telltale headers, how many telltales needed)
    (CLIENTBOOK, {"id", "first name", "last name", "email", "external ids"}, set(), 0),
    (SHOPIFY, {"first name", "last name", "email"},
     {"accepts email marketing", "accepts marketing", "accepts sms marketing", "total spent", "total orders",
      "tax exempt", "default address address1", "default address city", "default address zip", "customer id"}, 2),
    (SQUARE, {"first name", "last name"},
     {"square customer id", "reference id", "email address", "phone number", "email subscription status",
      "creation source", "instant profile", "transaction count", "first visit", "last visit", "total spend",
      "street address 1", "memo"}, 3),
]


def detect_client_format(table: Table) -> Format | None:
    headers = set(table.column_index())
    for fmt, required, telltales, needed in _SIGNATURES:
        if required <= headers and len(telltales & headers) >= needed:
            return fmt
    return None


# ---- any other CSV: guess, then let a person confirm ---------------------------------------

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "first", "given name", "forename", "prenom", "vorname", "nombre"),
    "last_name": ("last name", "lastname", "last", "surname", "family name", "nom", "nom de famille", "nachname", "apellido"),
    "email": ("email", "e mail", "email address", "mail", "courriel", "adresse email", "adresse e mail"),
    "phone": ("phone", "phone number", "mobile", "mobile phone", "cell", "cell phone", "telephone",
              "tel", "portable", "mobile number"),
    "birthday": ("birthday", "birth date", "birthdate", "date of birth", "dob", "anniversaire", "date de naissance"),
    "anniversary": ("anniversary", "wedding anniversary", "wedding date", "anniversaire de mariage"),
    "tags": ("tags", "tag", "groups", "group", "labels", "segments"),
    "email_opt_in": ("email opt in", "accepts email marketing", "accepts marketing", "email marketing",
                     "email consent", "newsletter", "email subscription status", "subscribed"),
    "sms_opt_in": ("sms opt in", "accepts sms marketing", "sms marketing", "sms consent", "text opt in"),
    "external_id": ("customer id", "client id", "external id", "pos id", "customer number", "client number",
                    "square customer id", "reference id", "id"),
    "address": ("address", "street address", "postal address", "adresse", "address1", "street"),
    "note": ("note", "notes", "memo", "comment", "comments", "remarks"),
    "prior_spent": ("total spent", "total spend", "lifetime spend", "amount spent", "lifetime value"),
    "prior_orders": ("total orders", "orders count", "number of orders", "transaction count", "visits"),
    "client_email": ("email", "client email", "customer email", "e mail", "email address"),
    "client_phone": ("phone", "client phone", "customer phone", "phone number", "mobile"),
    "client_external_id": ("customer id", "client id", "pos id", "customer number", "square customer id",
                           "customer reference id", "external id"),
    "purchased_on": ("date", "purchase date", "order date", "sale date", "created at", "paid at", "transaction date"),
    "description": ("item", "description", "item name", "product", "product name", "lineitem name", "article"),
    "category": ("category", "item category", "product type", "department", "categorie"),
    "amount": ("amount", "total", "line total", "gross sales", "net sales", "price", "montant", "sales"),
    "sku": ("sku", "lineitem sku", "item sku", "reference"),
    "quantity": ("quantity", "qty", "lineitem quantity", "quantite", "count"),
    "order_id": ("order id", "order", "order number", "receipt", "receipt number", "transaction id",
                 "invoice", "invoice number", "payment id"),
}


# Second chance: words inside the header ("Contact Mail", "Born on", "Mail OK"); "a+b" needs both words.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "first_name": ("first", "given", "prenom", "forename"),
    "last_name": ("last", "surname", "family", "nom"),
    "email": ("email", "mail", "courriel"),
    "phone": ("phone", "mobile", "cell", "tel", "telephone", "portable"),
    "birthday": ("birthday", "birth", "born", "dob", "naissance"),
    "anniversary": ("anniversary", "wedding", "wed", "mariage"),
    "tags": ("tags", "tag", "labels", "groups", "segment"),
    "email_opt_in": ("newsletter", "mail+ok", "email+ok", "mail+consent", "email+consent", "mail+marketing",
                     "email+marketing", "mail+optin", "email+optin"),
    "sms_opt_in": ("sms", "text+ok", "text+consent", "texts"),
    "external_id": ("ref", "reference", "id", "number"),
    "address": ("address", "street", "adresse"),
    "note": ("note", "notes", "memo", "comment", "comments", "remarks"),
    "prior_spent": ("total spent", "total spend", "lifetime spend", "amount spent", "lifetime value"),
    "prior_orders": ("total orders", "orders count", "number of orders", "transaction count", "visits"),
    "client_email": ("email", "mail"),
    "client_phone": ("phone", "mobile"),
    "purchased_on": ("date",),
    "description": ("item", "product", "description"),
    "amount": ("amount", "total", "price"),
    "order_id": ("order", "receipt", "invoice"),
}


def guess_mapping(table: Table, fields: tuple[Field, ...]) -> dict[str, str]:
    """field name -> header of this table that most likely holds it (each header used once)."""
    index = table.column_index()
    by_normalised = {normalise_header(h): h for h in reversed(table.headers) if h}
    taken: set[str] = set()
    mapping: dict[str, str] = {}
    for f in fields:
        for synonym in _SYNONYMS.get(f.name, ()):
            header = by_normalised.get(synonym)
            if synonym in index and header and header not in taken:
                mapping[f.name] = header
                taken.add(header)
                break
    for f in fields:
        if f.name in mapping:
            continue
        for header in table.headers:
            words = set(normalise_header(header).split())
            if header and header not in taken and any(
                set(keyword.split("+")) <= words for keyword in _KEYWORDS.get(f.name, ())
            ):
                mapping[f.name] = header
                taken.add(header)
                break
    return mapping


def generic_format(mapping: dict[str, str], label: str = "CSV", source: str = "pos") -> Format:
    """A Format built from a person's (or our guessed) choice of one column per field."""
    return Format(key="generic", label=label, source=source,
                  columns={name: (header,) for name, header in mapping.items() if header})


def missing_for_clients(mapping: dict[str, str]) -> str | None:
    if not any(mapping.get(name) for name in CLIENT_IDENTITY_FIELDS):
        return "Choose at least one column for a name, an email or a phone number."
    return None


def missing_for_purchases(mapping: dict[str, str]) -> str | None:
    if not any(mapping.get(name) for name in PURCHASE_CLIENT_FIELDS):
        return "Choose the column that says who the client is (email, phone or POS id)."
    if not mapping.get("purchased_on"):
        return "Choose the column with the purchase date."
    if not mapping.get("description") and not mapping.get("amount"):
        return "Choose the column with the item or the amount."
    return None
