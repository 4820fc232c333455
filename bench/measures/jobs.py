"""Jobs: the board over 20 000 jobs, the card with 10 open jobs, a job page with 8 photos, and a
12-megapixel photo upload processed end to end (HTTP, Pillow, files, row)."""
from __future__ import annotations

import http.client
import io
import random
import time
import uuid
from datetime import timedelta

from bench.registry import by_size, prepare, request, seconds

JOBS = 20_000
CARD_OPEN_JOBS = 10
PAGE_PHOTOS = 8
# What prepare() made, for the measures below (ids differ per book).
made: dict = {}


def _photo(rng: random.Random, width: int, height: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (rng.randrange(160, 240), rng.randrange(160, 240), 200))
    draw = ImageDraw.Draw(image)
    for _ in range(40):  # shapes and noise, so the JPEG is as heavy as a real photo
        x, y = rng.randrange(width), rng.randrange(height)
        draw.ellipse([x, y, x + rng.randrange(50, width // 3), y + rng.randrange(50, height // 3)],
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    image = Image.blend(image, noise, 0.25)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


@prepare
def add_jobs(ctx):
    """20 000 jobs over the seeded kinds and stages (bulk inserts), 10 open on one card, 8 photos on one job."""
    import sqlalchemy as sa

    from clientbook.extensions import db
    from clientbook.jobs.records import create_job, ensure_job_types
    from clientbook.media import add_photo
    from clientbook.models import Client, Job, JobType, Role, StageChange, User, utcnow

    app = ctx.app()
    app.config["MEDIA_DIR"] = str(ctx.run_dir / "media")  # where the served instance keeps them
    rng = random.Random(10)
    with app.app_context():
        ensure_job_types()
        types = db.session.scalars(sa.select(JobType).order_by(JobType.position)).all()
        associates = db.session.scalars(sa.select(User.id).where(User.role == Role.ASSOCIATE)).all()
        busiest = db.session.scalar(sa.select(User.id).where(User.email == ctx.info.busiest_associate_email))
        client_ids = db.session.scalars(sa.select(Client.id).order_by(Client.id).limit(ctx.clients)).all()
        now, today = utcnow(), utcnow().date()
        rows = []
        count = JOBS if ctx.clients >= 10_000 else 2 * ctx.clients  # a tiny smoke-test book stays quick
        for n in range(count):
            job_type = types[n % len(types)]
            stage = rng.choice(job_type.stages)
            owner = busiest if n % 10 == 0 else rng.choice(associates)
            entered = now - timedelta(days=rng.randrange(0, 60))
            rows.append({
                "client_id": rng.choice(client_ids), "job_type_id": job_type.id, "stage_id": stage.id,
                "title": f"Bench job {n}", "description": "", "ticket": f"B-{n:06d}",
                "due_on": today + timedelta(days=rng.randrange(-20, 40)),
                "value_cents": rng.randrange(50, 9000) * 100, "deposit_cents": 0, "assigned_to_id": owner,
                "created_by_id": owner, "stage_entered_at": entered, "created_at": entered, "updated_at": entered,
                "closed_at": entered if stage.outcome else None, "outcome": stage.outcome,
            })
        db.session.execute(sa.insert(Job), rows)
        db.session.execute(sa.insert(StageChange).from_select(
            ["job_id", "to_stage_id", "changed_by_id", "changed_at", "reopened"],
            sa.select(Job.id, Job.stage_id, Job.assigned_to_id, Job.stage_entered_at, sa.false())))
        card_client = db.session.get(Client, ctx.info.many_purchase_client_ids[0])
        for n in range(CARD_OPEN_JOBS):
            create_job(card_client, types[n % 2], title=f"Open job {n}", user=None,
                       due_on=today + timedelta(days=n), assigned_to_id=card_client.assigned_to_id)
        photo_job = create_job(card_client, types[0], title="Job with photos", user=None)
        for _ in range(PAGE_PHOTOS):
            add_photo(_photo(rng, 1600, 1200), "intake.jpg", client_id=card_client.id, user_id=None,
                      job_id=photo_job.id)
        db.session.commit()
        made.update(count=count, types=[t.id for t in types], card_client=card_client.id, photo_job=photo_job.id)
        db.session.remove()
    ctx.log(f"  {count} jobs, {CARD_OPEN_JOBS} open on client {made['card_client']}, "
            f"{PAGE_PHOTOS} photos on job {made['photo_job']}")


@request("job_board", "jobs board (20 000 jobs), each kind, mine and all", session="associate",
         budget_ms=by_size({50_000: 30.0, 500_000: 40.0}), budget_vs_floor=by_size({50_000: 12.0, 500_000: None}))
def job_board_paths(ctx):
    return [f"/jobs?type={type_id}&scope={scope}{due}" for type_id in made["types"] for scope in ("mine", "all")
            for due in ("", "&due=overdue")]


@request("card_with_jobs", "client card with 10 open jobs",
         budget_ms=by_size({50_000: 30.0, 500_000: 40.0}), budget_vs_floor=by_size({50_000: 12.0, 500_000: None}))
def card_with_jobs_paths(ctx):
    return [f"/clients/{made['card_client']}"]


@request("job_page", "job page with 8 photos (size before images)", budget_ms=30.0, budget_bytes=60 * 1024)
def job_page_paths(ctx):
    return [f"/jobs/{made['photo_job']}"]


def _multipart(fields: dict, filename: str, data: bytes) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="{filename}"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


@seconds("photo_upload", "12-megapixel JPEG upload (check, clean, store, thumbnail)", budget_s=1.5)
def photo_upload(ctx):
    from bench.measure import CSRF_INPUT, VALUE

    browser = ctx.browser("owner")
    path = f"/jobs/{made['photo_job']}"
    response, raw = browser.request("GET", path)
    token = VALUE.search(CSRF_INPUT.search(browser.text(response, raw)).group(0)).group(1)
    photo = _photo(random.Random(12), 4000, 3000)
    content_type, body = _multipart({"csrf_token": token}, "IMG_0001.jpg", photo)
    connection = http.client.HTTPConnection(browser.host, browser.port, timeout=60)
    headers = {"Content-Type": content_type, "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items()),
               "Referer": browser.base + path}
    started = time.perf_counter()
    try:
        connection.request("POST", f"{path}/photos", body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    if answer.status != 303:
        raise RuntimeError(f"photo upload answered HTTP {answer.status}")
    return {"seconds": round(elapsed, 3), "detail": f"{len(photo) / 1e6:.1f} MB, 4000x3000"}
