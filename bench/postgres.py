"""The reference book on a throwaway PostgreSQL server (`make bench BENCH_ARGS=--postgres`).

The book is loaded once from the cached SQLite book with COPY (indexes and foreign-key checks
off while loading, indexes built after, then VACUUM ANALYZE), and the stopped server's data
folder is kept in the cache next to it. Each run copies that folder and starts a server on a
free loopback port, so a 500 000-client book is ready in seconds after the first build.
"""
from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import sqlalchemy as sa

from tests.postgres_server import PostgresServer, find_pg_bin

DATABASE = "clientbook_test"  # the database PostgresServer.start creates


def cache_suffix() -> str:
    """Part of the cache key: a change to this loader rebuilds the PostgreSQL copy."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:6]


class BenchPostgres(PostgresServer):
    """PostgresServer, plus: start on a copy of a cached data folder, and stop cleanly to keep one."""

    def __init__(self):
        pg_bin = find_pg_bin()
        if pg_bin is None:
            raise SystemExit("--postgres needs PostgreSQL's binaries (Debian's postgresql package; make services)")
        super().__init__(pg_bin)
        self.url: str | None = None

    def start_copy_of(self, cached: Path) -> str:
        if self._as_postgres:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.root, postgres.pw_uid, postgres.pw_gid)
        subprocess.run(["cp", "-a", str(cached), str(self.data)], check=True)  # -a keeps owner and modes
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w", "start")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"
        return self.url

    def start(self) -> str:
        self.url = super().start()
        return self.url

    def stop_keeping(self, destination: Path) -> None:
        """Stop cleanly (a checkpoint, so the copy starts without recovery) and keep the data folder."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "stop")
            shutil.move(str(self.data), str(destination))
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def load(sqlite_path: Path, url: str, make_app, log=print) -> dict[str, int]:
    """Create the schema on the empty database at `url` and copy every table of the SQLite book."""
    import psycopg

    from clientbook.extensions import db

    app = make_app(url)
    with app.app_context():
        db.create_all()
        tables = list(db.metadata.sorted_tables)
        dialect = db.engine.dialect
        indexes = [str(sa.schema.CreateIndex(index).compile(dialect=dialect))
                   for table in tables for index in table.indexes]
        index_names = [index.name for table in tables for index in table.indexes]
        db.session.remove()
        db.engine.dispose()

    source = sqlite3.connect(sqlite_path)
    counts: dict[str, int] = {}
    with psycopg.connect(_psycopg_url(url)) as connection:
        connection.execute("SET session_replication_role = replica")  # no foreign-key checks while loading
        for name in index_names:
            connection.execute(f'DROP INDEX IF EXISTS "{name}"')
        for table in tables:
            columns = [column.name for column in table.columns]
            names = ", ".join(f'"{c}"' for c in columns)
            started = time.perf_counter()
            count = 0
            with connection.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in source.execute(f'SELECT {names} FROM "{table.name}"'):
                    copy.write_row(row)
                    count += 1
            counts[table.name] = count
            if count > 10_000:
                log(f"  {table.name}: {count} rows in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        for statement in indexes:
            connection.execute(statement)
        log(f"  {len(indexes)} indexes in {time.perf_counter() - started:.1f} s")
        for table in tables:
            key = table.primary_key.columns.values()
            if len(key) == 1 and isinstance(key[0].type, sa.Integer) and key[0].autoincrement in (True, "auto"):
                connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{key[0].name}'), "
                    f'COALESCE((SELECT MAX("{key[0].name}") FROM "{table.name}"), 0) + 1, false)')
    source.close()
    with psycopg.connect(_psycopg_url(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")  # statistics and the visibility map, as a live book has them
    return counts


def shift_dates(url: str, days: int) -> None:
    """Move purchase dates forward so a book built earlier looks as if it were built today."""
    if days == 0:
        return
    import psycopg

    with psycopg.connect(_psycopg_url(url)) as connection:
        connection.execute("UPDATE purchase SET purchased_on = purchased_on + %s", (days,))
