"""flask backup: SQLite online backup into a valid, self-contained file."""
import sqlite3

from clientbook.extensions import db
from clientbook.models import Client


def test_backup_produces_a_valid_sqlite_file(app, shop, runner, tmp_path):
    with app.app_context():
        db.session.add(Client(first_name="Éloïse", email="eloise@example.com"))
        db.session.commit()
    target = tmp_path / "backups" / "clientbook-backup.sqlite3"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT first_name FROM client").fetchall() == [("Éloïse",)]
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        copy.close()
    assert not (tmp_path / "backups" / "clientbook-backup.sqlite3.partial").exists()


def test_backup_refuses_to_overwrite_the_live_database(app, shop, runner):
    live = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    result = runner.invoke(args=["backup", live])
    assert result.exit_code != 0 and "different file" in result.output


def test_postgresql_points_to_pg_dump(app, runner):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://shop@localhost/clientbook"
    result = runner.invoke(args=["backup", "x.dump"])
    assert result.exit_code == 0 and "pg_dump" in result.output
