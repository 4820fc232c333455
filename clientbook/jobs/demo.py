"""Demo jobs for the demo book: every seeded kind of job in every stage, with photos drawn here."""
from __future__ import annotations

import io
import random
from datetime import date, timedelta

from PIL import Image, ImageDraw

from clientbook.extensions import db
from clientbook.jobs.records import active_job_types, create_job, move_job
from clientbook.media import add_photo
from clientbook.models import Client, User, utcnow

TITLES = {
    "Repair": ("Resize ring to 54", "Replace watch battery", "Restring pearl necklace", "Solder broken chain",
               "Re-tip claw setting", "Polish and rhodium plate"),
    "Custom order": ("Engagement ring, oval sapphire", "Signet ring with family crest", "Matching wedding bands",
                     "Charm bracelet, five charms"),
    "Sales opportunity": ("Omega Seamaster 300", "Tahitian pearl strand", "Diamond tennis bracelet",
                          "Anniversary eternity ring"),
}
VALUES = {"Repair": (40, 250), "Custom order": (900, 6500), "Sales opportunity": (1200, 9800)}
PALETTE = ((233, 223, 205), (214, 226, 222), (236, 214, 214), (220, 220, 236))
METALS = ((212, 175, 55), (200, 200, 210), (222, 160, 140))


def drawn_photo(rng: random.Random, width: int = 960, height: int = 720) -> bytes:
    """A photo-like JPEG of a ring on a cloth: drawn, so no image is downloaded or shipped."""
    image = Image.new("RGB", (width, height), rng.choice(PALETTE))
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 6):  # the cloth's weave
        shade = 8 * ((y // 6) % 2)
        draw.line([(0, y), (width, y)], fill=tuple(max(c - shade, 0) for c in image.getpixel((0, 0))), width=3)
    cx, cy, r = width // 2 + rng.randrange(-80, 80), height // 2 + rng.randrange(-60, 60), rng.randrange(120, 200)
    metal = rng.choice(METALS)
    draw.ellipse([cx - r, cy - r // 2, cx + r, cy + r // 2], outline=metal, width=rng.randrange(18, 30))
    stone = rng.choice(((40, 80, 200), (200, 30, 60), (240, 240, 255), (30, 140, 90)))
    draw.ellipse([cx - 34, cy - r // 2 - 58, cx + 34, cy - r // 2 + 6], fill=stone, outline=metal, width=6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def seed_demo_jobs(clients: list[Client], staff: list[User], today: date, seed: int = 1729) -> int:
    """Two jobs in every stage of every seeded kind, on demo clients; some with intake photos. Flushes."""
    rng = random.Random(seed)
    count = 0
    for job_type in active_job_types():
        low, high = VALUES.get(job_type.name, (50, 500))
        for stage in job_type.active_stages:
            for _ in range(2):
                client = rng.choice(clients)
                associate_id = client.assigned_to_id or (rng.choice(staff).id if staff else None)
                user = next((u for u in staff if u.id == associate_id), None)
                value = rng.randrange(low, high) * 100
                job = create_job(client, job_type, title=rng.choice(TITLES.get(job_type.name, ("Job",))), user=user,
                                 due_on=today + timedelta(days=rng.randrange(-6, 21)), value_cents=value,
                                 deposit_cents=(value // 4) if job_type.name == "Custom order" else 0,
                                 assigned_to_id=associate_id)
                if stage.id != job.stage_id:
                    move_job(job, stage, user)
                    # Entered the stage some days ago, so Today and the reminder rules have something to show.
                    job.stage_entered_at = utcnow() - timedelta(days=rng.randrange(0, 8))
                if job_type.name != "Sales opportunity" and rng.random() < 0.6:
                    add_photo(drawn_photo(rng), "intake.jpg", client_id=client.id, user_id=associate_id, job_id=job.id)
                count += 1
    db.session.flush()
    return count
