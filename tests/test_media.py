"""Photos: only real images are kept, cleaned (no EXIF, upright, bounded), private files, served per client."""
from __future__ import annotations

import io
import re
import os
import stat

import pytest
import sqlalchemy as sa
from PIL import Image

from clientbook.extensions import db
from clientbook.media import (
    MAX_EDGE, THUMB_MAX_BYTES, PhotoRejected, client_media_paths, erase_client_media, photo_path, process_photo,
)
from clientbook.models import Job, Photo, WishlistItem
from tests.support.clients import make_client
from tests.test_jobs import make_job


def jpeg(width=800, height=600, exif: Image.Exif | None = None, quality=90, color=(180, 40, 40)) -> bytes:
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 50):  # some detail, so the encoder has work to do
        image.paste((20, 120, 200), (x, 0, x + 10, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}  # GPSInfo
    if orientation:
        exif[0x0112] = orientation
    return exif


@pytest.fixture
def job_setup(app, shop):
    with app.app_context():
        client_id = make_client("Iris", "Vidal", assigned_to_id=shop["associate"])
        other_id = make_client("Bruno", "Keller", assigned_to_id=shop["associate2"])
        return {"client": client_id, "other": other_id, "job": make_job(client_id),
                "other_job": make_job(other_id)}


# ---- processing ------------------------------------------------------------------------------------

def test_exif_and_location_are_stripped_and_orientation_applied():
    # Orientation 6: the camera was turned; the stored photo must come out upright (portrait).
    original, thumb, width, height = process_photo(jpeg(800, 600, gps_exif(orientation=6)), "IMG_1.jpg")
    stored = Image.open(io.BytesIO(original))
    assert (width, height) == (600, 800) == stored.size
    assert not stored.getexif() and b"PhoneMaker" not in original and "exif" not in stored.info
    assert Image.open(io.BytesIO(thumb)).size[1] > Image.open(io.BytesIO(thumb)).size[0]


@pytest.mark.parametrize("size, stored", [
    ((3200, 2400), (2560, 1920)),  # bounded to MAX_EDGE
    ((4000, 3000), (2000, 1500)),  # a 12 MP photo decodes at half scale: still sharp, four times less work
    ((900, 1200), (900, 1200)),  # small ones stay as they are
])
def test_large_photo_is_bounded_and_thumbnail_is_small(size, stored):
    original, thumb, width, height = process_photo(jpeg(*size, quality=95), "big.jpg")
    assert (width, height) == stored == Image.open(io.BytesIO(original)).size
    assert max(stored) <= MAX_EDGE and len(thumb) <= THUMB_MAX_BYTES


def test_png_with_transparency_becomes_a_jpeg():
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    original, _thumb, width, height = process_photo(out.getvalue(), "shot.png")
    assert Image.open(io.BytesIO(original)).format == "JPEG" and (width, height) == (300, 200)


def bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, "PNG")  # 144 megapixels in a few kilobytes
    return out.getvalue()


@pytest.mark.parametrize("data, filename, message", [
    (b"just some text, not a picture", "notes.jpg", "not a photo we can read"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg",
     "Drawings (SVG) can't be attached"),
    (b"<svg onload=alert(1)></svg>", "innocent.jpg", "Drawings (SVG)"),
    (jpeg()[:3000], "cut.jpg", "damaged or incomplete"),
    (b"", "empty.jpg", "empty"),
    (None, "bomb.png", "far too many pixels"),
])
def test_bad_files_are_rejected_with_a_clear_message(data, filename, message):
    with pytest.raises(PhotoRejected, match=re.escape(message)):
        process_photo(bomb() if data is None else data, filename)


# ---- upload through the app --------------------------------------------------------------------------

def upload(client, url, data: bytes, filename="photo.jpg", **fields):
    return client.post(url, data={"photo": (io.BytesIO(data), filename), **fields},
                       content_type="multipart/form-data")


def test_job_photo_upload_stores_private_hashed_files(client, auth, app, job_setup):
    auth.login("associate")
    response = upload(client, f"/jobs/{job_setup['job']}/photos", jpeg(exif=gps_exif()))
    assert response.status_code == 303
    with app.app_context():
        photo = db.session.scalar(sa.select(Photo))
        assert photo.job_id == job_setup["job"] and photo.client_id == job_setup["client"]
        for path in (photo_path(photo.sha256), photo_path(photo.sha256, thumbnail=True)):
            assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
            assert str(path).startswith(app.config["MEDIA_DIR"])
            assert "static" not in str(path)
        assert stat.S_IMODE(photo_path(photo.sha256).parent.parent.stat().st_mode) == 0o700
        photo_id = photo.id
    page = client.get(f"/jobs/{job_setup['job']}").get_data(as_text=True)
    assert f"/photos/{photo_id}/thumb.jpg" in page
    served = client.get(f"/photos/{photo_id}/full.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert b"PhoneMaker" not in served.data and "private" in served.headers["Cache-Control"]


@pytest.mark.parametrize("data, filename, message", [
    (b"%PDF-1.4 not an image", "scan.pdf", "not a photo we can read"),
    (b"<svg/>", "logo.svg", "SVG"),
    (jpeg()[:2500], "cut.jpg", "damaged or incomplete"),
])
def test_rejected_upload_saves_nothing(client, auth, app, job_setup, data, filename, message):
    auth.login("associate")
    response = upload(client, f"/jobs/{job_setup['job']}/photos", data, filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
        media = app.config["MEDIA_DIR"]
        assert not os.path.exists(media) or not any(files for _, _, files in os.walk(media))


def test_a_40_mb_upload_is_refused_clearly(client, auth, app, job_setup):
    auth.login("associate")
    response = upload(client, f"/jobs/{job_setup['job']}/photos", b"\xff\xd8" + b"0" * (40 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than 25 MB" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0


def test_new_job_with_a_bad_photo_saves_neither(client, auth, app, job_setup):
    auth.login("associate")
    with app.app_context():
        repair = db.session.get(Job, job_setup["job"]).job_type_id
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Job))
    response = client.post(f"/clients/{job_setup['client']}/jobs/new", data={
        "job_type_id": repair, "title": "Resize", "assigned_to_id": 0,
        "photo": (io.BytesIO(b"<svg/>"), "ring.svg")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "SVG" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == before
    response = client.post(f"/clients/{job_setup['client']}/jobs/new", data={
        "job_type_id": repair, "title": "Resize", "assigned_to_id": 0,
        "photo": (io.BytesIO(jpeg()), "ring.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        job = db.session.scalar(sa.select(Job).order_by(Job.id.desc()))
        assert [p.job_id for p in db.session.scalars(sa.select(Photo))] == [job.id]


# ---- who may see a photo -------------------------------------------------------------------------------

def test_photos_are_served_only_to_staff_who_may_open_the_client(client, auth, app, job_setup):
    with app.app_context():
        from clientbook.media import add_photo
        from clientbook.models import Shop

        db.session.query(Shop).one().associates_see_all_clients = False
        theirs = add_photo(jpeg(), "x.jpg", client_id=job_setup["other"], user_id=None, job_id=job_setup["other_job"])
        mine = add_photo(jpeg(color=(10, 200, 10)), "y.jpg", client_id=job_setup["client"], user_id=None)
        db.session.commit()
        theirs_id, mine_id = theirs.id, mine.id
    for size in ("full", "thumb"):
        assert client.get(f"/photos/{theirs_id}/{size}.jpg").status_code in (302, 401)  # signed out
    auth.login("associate")
    for size in ("full", "thumb"):
        assert client.get(f"/photos/{theirs_id}/{size}.jpg").status_code == 404
        assert client.get(f"/photos/{mine_id}/{size}.jpg").status_code == 200
    assert client.get("/photos/99999/full.jpg").status_code == 404
    assert client.get(f"/photos/{mine_id}/original.jpg").status_code == 404
    assert client.post(f"/photos/{theirs_id}/delete").status_code == 404
    assert client.get(f"/clients/{job_setup['other']}/photos").status_code == 404
    assert upload(client, f"/clients/{job_setup['other']}/photos", jpeg()).status_code == 404
    assert upload(client, f"/jobs/{job_setup['other_job']}/photos", jpeg()).status_code == 404
    auth.logout()
    auth.login("manager")
    assert client.get(f"/photos/{theirs_id}/full.jpg").status_code == 200


def test_client_and_wish_photos_and_erasure(client, auth, app, job_setup):
    with app.app_context():
        wish = WishlistItem(client_id=job_setup["client"], description="Pearl drops")
        other_wish = WishlistItem(client_id=job_setup["other"], description="Watch")
        db.session.add_all([wish, other_wish])
        db.session.commit()
        wish_id, other_wish_id = wish.id, other_wish.id
    auth.login("manager")
    assert upload(client, f"/clients/{job_setup['client']}/photos", jpeg()).status_code == 303
    assert upload(client, f"/clients/{job_setup['client']}/photos", jpeg(color=(1, 2, 3)),
                  wishlist_item_id=str(wish_id)).status_code == 303
    assert upload(client, f"/clients/{job_setup['client']}/photos", jpeg(),
                  wishlist_item_id=str(other_wish_id)).status_code == 404
    assert upload(client, f"/jobs/{job_setup['job']}/photos", jpeg(color=(9, 9, 9))).status_code == 303
    # The same picture on another client's job: one file, two rows.
    assert upload(client, f"/jobs/{job_setup['other_job']}/photos", jpeg(color=(9, 9, 9))).status_code == 303
    page = client.get(f"/clients/{job_setup['client']}/photos").get_data(as_text=True)
    assert "Wish list: Pearl drops" in page and 'capture="environment"' in page
    with app.app_context():
        photos = db.session.scalars(sa.select(Photo).where(Photo.client_id == job_setup["client"])).all()
        assert sorted((p.job_id is not None, p.wishlist_item_id or 0) for p in photos) == [
            (False, 0), (False, wish_id), (True, 0)]
        paths = client_media_paths(job_setup["client"])
        assert len(paths) == 6 and all(p.exists() for p in paths)
        shared = photo_path(db.session.scalar(sa.select(Photo.sha256).where(Photo.client_id == job_setup["other"])))
        removed = erase_client_media(job_setup["client"])
        assert removed == 4 and shared.exists()  # the other client's copy stays
        assert not any(p.exists() for p in paths if p.name.split(".")[0] != shared.name.split(".")[0])
        assert client_media_paths(job_setup["client"]) == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 1
