"""Normalising what people type as contact details: phones to E.164, emails to lower case."""
from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    pass


def normalize_email(raw: str | None) -> str | None:
    """Lower-cased, validated address, or None when empty. Raises InvalidEmail with a readable reason."""
    value = (raw or "").strip()
    if not value:
        return None
    try:
        result = validate_email(value, check_deliverability=False, test_environment=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc
    return result.normalized.lower()


def normalize_phone(raw: str | None, country: str) -> tuple[str | None, bool]:
    """(E.164, True) when the number parses for the shop's country; (original text, False) otherwise."""
    value = (raw or "").strip()
    if not value:
        return None, False
    try:
        parsed = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        return value, False
    if not phonenumbers.is_possible_number(parsed):
        return value, False
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), True


def format_phone(value: str | None) -> str:
    """Human-friendly international format for display; unparsed numbers shown as typed."""
    if not value:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return value


def digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")
