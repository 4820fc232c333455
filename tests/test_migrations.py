"""The migrations build exactly the schema the models describe, and tear it down again."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from clientbook.extensions import db


# SQLite can't reflect expression indexes, so autogenerate skips comparing them there (PostgreSQL does).
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_upgrade_matches_the_models_and_downgrade_removes_everything(app):
    with app.app_context():
        db.drop_all()
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.session.execute(sa.text("DROP TABLE alembic_version"))
        db.session.commit()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_upgrade_provides_fold_on_both_databases(app):
    """PostgreSQL keeps fold() in the database (created by a migration); SQLite gets it per connection."""
    with app.app_context():
        db.drop_all()
        upgrade()
        assert db.session.scalar(sa.text("SELECT fold('Éloïse ÉCLAT')")) == "eloise eclat"
        db.session.commit()
        downgrade(revision="base")
        if db.engine.dialect.name == "postgresql":
            assert db.session.scalar(sa.text("SELECT count(*) FROM pg_proc WHERE proname = 'fold'")) == 0
        db.session.execute(sa.text("DROP TABLE alembic_version"))
        db.session.commit()
