"""Passwords are Argon2id at the real cost; the suite's fast setting changes only the cost."""
from argon2 import extract_parameters

from clientbook import create_app
from clientbook.passwords import hash_password, verify_password


def test_real_hashes_cost_what_owasp_recommends(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SECRET_KEY": "x"})
    with app.app_context():
        stored = hash_password("correct horse battery")
    parameters = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert parameters.memory_cost >= 19 * 1024 and parameters.time_cost >= 2
    assert verify_password(stored, "correct horse battery") and not verify_password(stored, "wrong horse")


def test_the_fast_test_setting_only_lowers_the_cost(app):
    with app.app_context():
        stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and extract_parameters(stored).memory_cost < 19 * 1024
    assert verify_password(stored, "correct horse battery") and not verify_password(stored, "wrong horse")


def test_a_broken_hash_never_verifies():
    assert not verify_password("not a hash", "anything")
