"""Import jobs live in the database: one claim per confirm, dead runs found and taken back, files removed."""
import io
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.imports import jobs, runner
from clientbook.models import Client, ImportJob, ImportUndo, Note, utcnow

PROJECT = Path(__file__).resolve().parent.parent


def shopify_csv(rows: int, start: int = 0) -> bytes:
    lines = ["First Name,Last Name,Email,Accepts Email Marketing,Total Spent,Total Orders,Note,Tags,Customer ID"]
    for n in range(start, start + rows):
        lines.append(f"First{n},Last{n},person{n}@example.org,yes,{n % 50}.50,{n % 7},Likes gold {n},vip,C{n}")
    return ("\n".join(lines) + "\n").encode()


def upload(client, data: bytes, filename: str = "customers.csv") -> str:
    response = client.post("/import", data={"kind": "clients", "file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return re.search(r"/import/([A-Za-z0-9_-]+)", response.headers["Location"]).group(1)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_confirm_is_claimed_once(client, auth, app):
    auth.login("manager")
    token = upload(client, shopify_csv(3))
    with app.app_context():
        job = jobs.get_job(token)
        # Two confirms racing each other: the conditional UPDATE lets exactly one through.
        assert jobs.claim(job.id, ("uploaded",), "queued") is True
        assert jobs.claim(job.id, ("uploaded",), "queued") is False
        job.state = "uploaded"
        db.session.commit()
    client.post(f"/import/{token}/confirm")
    client.post(f"/import/{token}/confirm")
    with app.app_context():
        assert count(Client) == 3
        job = jobs.get_job(token)
        assert job.state == "done" and job.result == {"created": 3, "merged": 0, "skipped": 0}
        assert count(ImportUndo) == 0
    assert not (Path(app.instance_path) / "imports" / f"{token}.csv").exists()


def test_confirm_without_a_column_mapping_asks_for_one(client, auth, app):
    auth.login("manager")
    token = upload(client, b"Thing,Other\nfoo,bar\n")
    response = client.post(f"/import/{token}/confirm")
    assert response.status_code == 422 and b"Choose which column holds what" in response.data
    with app.app_context():
        assert jobs.get_job(token).state == "uploaded" and count(Client) == 0


def test_upload_file_is_private(client, auth, app):
    auth.login("manager")
    token = upload(client, shopify_csv(2))
    path = Path(app.instance_path) / "imports" / f"{token}.csv"
    assert path.stat().st_mode & 0o777 == 0o600


def _run_in_another_process(app, token: str) -> subprocess.Popen:
    script = ("from clientbook import create_app\n"
              "from clientbook.imports.tasks import run_import\n"
              "app = create_app()\n"
              "with app.app_context():\n"
              f"    run_import({token!r})\n")
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "CLIENTBOOK_INSTANCE_PATH": app.instance_path,
           "CLIENTBOOK_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
           "CLIENTBOOK_SECRET_KEY": "test-secret", "CLIENTBOOK_HUEY_IMMEDIATE": "true",
           "CLIENTBOOK_IMPORT_BATCH_ROWS": "20"}
    return subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# Large enough that the import is still running when the signal lands, on a fast or a busy machine.
ROWS = 6000


def test_an_import_stopped_by_sigterm_is_taken_back_and_can_be_tried_again(client, auth, app, shop):
    auth.login("manager")
    with app.app_context():
        db.session.add(Client(first_name="Already", last_name="Here", email="person5@example.org"))
        db.session.commit()
    token = upload(client, shopify_csv(ROWS))
    with app.app_context():
        job = jobs.get_job(token)
        assert jobs.claim(job.id, ("uploaded",), "queued")
        job_id = job.id
    process = _run_in_another_process(app, token)
    try:
        deadline = time.monotonic() + 60
        with app.app_context():
            while time.monotonic() < deadline:
                done = db.session.get(ImportJob, job_id).done
                db.session.rollback()  # every transaction takes the write lock: don't hold it while waiting
                if done > 0:  # the first batch is in: stop it now, with most of the file still to go
                    break
                assert process.poll() is None, process.stderr.read().decode()[-3000:]
                time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job.state == "running" and 0 < job.done < ROWS  # the process died mid-import
        assert count(Client) > 1  # some batches were committed

        # Found (its process is gone) and taken back: no rows left, the book as it was.
        assert runner.sweep() == 1
        db.session.expire_all()
        job = db.session.get(ImportJob, job_id)
        assert job.state == "failed" and "Try again" in job.error
        assert count(Client) == 1 and count(Note) == 0 and count(ImportUndo) == 0
        already = db.session.scalar(sa.select(Client))
        assert (already.first_name, already.prior_orders, already.email_opt_in) == ("Already", 0, False)
        assert runner.sweep() == 0

    page = client.get(f"/import/{token}/progress").get_data(as_text=True)
    assert "taken back" in page and "Try again" in page
    assert client.post(f"/import/{token}/retry").status_code == 303
    with app.app_context():
        job = jobs.get_job(token)
        assert job.state == "done" and job.result["created"] == ROWS - 1 and job.result["merged"] == 1
        assert count(Client) == ROWS
    assert not (Path(app.instance_path) / "imports" / f"{token}.csv").exists()


def test_a_run_silent_for_too_long_elsewhere_is_failed(app, shop):
    with app.app_context():
        job = ImportJob(token="x" * 32, kind="clients", state="running", worker="another-host:4242",
                        heartbeat_at=utcnow() - runner.HEARTBEAT_TIMEOUT - timedelta(seconds=1))
        fresh = ImportJob(token="y" * 32, kind="clients", state="running", worker="another-host:4243",
                          heartbeat_at=utcnow())
        db.session.add_all([job, fresh])
        db.session.commit()
        assert runner.sweep() == 1
        assert (job.state, fresh.state) == ("failed", "running")


def test_a_failed_import_leaves_no_rows(client, auth, app, monkeypatch):
    auth.login("manager")
    app.config["IMPORT_BATCH_ROWS"] = 10
    token = upload(client, shopify_csv(50))
    from clientbook.imports import writing

    real = writing.write_clients
    calls = []

    def fail_on_third_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "write_clients", fail_on_third_batch)
    client.post(f"/import/{token}/confirm")
    with app.app_context():
        job = jobs.get_job(token)
        assert job.state == "failed" and "nothing was saved" in job.error
        assert count(Client) == 0 and count(ImportUndo) == 0
    assert (Path(app.instance_path) / "imports" / f"{token}.csv").exists()  # kept for "Try again"
    monkeypatch.setattr(runner, "write_clients", real)
    client.post(f"/import/{token}/retry")
    with app.app_context():
        assert count(Client) == 50


def test_stale_uploads_are_removed(client, auth, app):
    auth.login("manager")
    token = upload(client, shopify_csv(2))
    stray = Path(app.instance_path) / "imports" / "old-record.json"
    stray.write_text("{}")
    with app.app_context():
        job = jobs.get_job(token)
        job.created_at = utcnow() - timedelta(days=2)
        db.session.commit()
        runner.clean_up_uploads()
        assert jobs.get_job(token).state == "cancelled"
    assert not (Path(app.instance_path) / "imports" / f"{token}.csv").exists() and not stray.exists()


def test_a_confirm_after_a_long_preview_is_not_swept_before_the_worker_starts(client, auth, app, monkeypatch):
    auth.login("manager")
    token = upload(client, shopify_csv(2))
    with app.app_context():
        job = jobs.get_job(token)
        job.created_at = utcnow() - timedelta(hours=1)  # the preview stayed open a while
        db.session.commit()
    from clientbook.imports import views

    monkeypatch.setattr(views, "run_import_task", lambda token: None)  # the worker hasn't started it yet
    client.post(f"/import/{token}/confirm")
    with app.app_context():
        assert runner.sweep() == 0 and jobs.get_job(token).state == "queued"
