"""Photos: checked, cleaned and stored by content hash under instance/media/.

An upload is decoded by Pillow (so only real raster images pass), turned upright from its
EXIF orientation, re-encoded without any metadata (no location leaks), bounded to
MAX_EDGE pixels, and given a small thumbnail. Files are written 0600 and only ever served
through a view that checks the client's card may be opened; never from static/.

Two files per photo: <sha>.jpg and <sha>.thumb.jpg in media/<sha[:2]>/, where sha is the
hash of the stored original. The same picture uploaded twice shares its files; a file is
removed only when no Photo row refers to its hash any more.
"""
from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from clientbook.extensions import db
from clientbook.models import Photo

MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # a phone's largest JPEG is well under this
MAX_PIXELS = 64_000_000  # above this a file is a decompression bomb, not a photo
MAX_EDGE = 2560
HALF_SCALE_MIN_EDGE = 1920  # a JPEG is decoded at half scale when its long edge stays at least this
THUMB_EDGE = 360
THUMB_MAX_BYTES = 30 * 1024
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF"}


class PhotoRejected(ValueError):
    """An upload that is not stored; the message is for the person who sent it."""


@dataclass
class StoredPhoto:
    sha256: str
    width: int
    height: int
    size_bytes: int


def media_root() -> Path:
    """instance/media/ (MEDIA_DIR overrides it, e.g. for tests)."""
    return Path(current_app.config.get("MEDIA_DIR") or Path(current_app.instance_path) / "media")


def photo_path(sha256: str, thumbnail: bool = False) -> Path:
    return media_root() / sha256[:2] / f"{sha256}{'.thumb' if thumbnail else ''}.jpg"


def _looks_like_svg(data: bytes, filename: str) -> bool:
    head = data[:1024].lstrip().lower()
    return filename.lower().endswith((".svg", ".svgz")) or head.startswith((b"<?xml", b"<svg")) or b"<svg" in head


def _decode(data: bytes, filename: str) -> Image.Image:
    if not data:
        raise PhotoRejected("The file is empty. Take or choose the photo again.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRejected(f"That photo is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. "
                            "Take it again at a normal size.")
    if _looks_like_svg(data, filename):
        raise PhotoRejected("Drawings (SVG) can't be attached. Take or choose a photo (JPEG, PNG or WebP).")
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that: treat it as the refusal it is.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ACCEPTED_FORMATS:
                raise PhotoRejected("That file is not a photo we can use. Take or choose a JPEG, PNG or WebP photo.")
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise PhotoRejected("That image has far too many pixels to be a photo. It was not saved.")
            probe.verify()
            image = Image.open(io.BytesIO(data))
            if image.format == "JPEG" and max(image.size) // 2 >= HALF_SCALE_MIN_EDGE:
                # A phone's 12 MP photo decodes at half scale (2000 px, still sharp on any screen):
                # a quarter of the work, and no resize afterwards.
                image.draft("RGB", (image.width // 2, image.height // 2))
            image.load()
        except PhotoRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected("That image has far too many pixels to be a photo. It was not saved.") from None
        except UnidentifiedImageError:
            raise PhotoRejected("That file is not a photo we can read. Take or choose a JPEG, PNG or WebP photo.") from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise PhotoRejected("That photo is damaged or incomplete (the file was cut short). "
                                "Take or choose it again.") from None
    return image


def _jpeg(image: Image.Image, quality: int, optimize: bool = True) -> bytes:
    out = io.BytesIO()
    # No exif= and no icc_profile=: nothing from the camera (location, serial numbers) is kept.
    image.save(out, "JPEG", quality=quality, optimize=optimize)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    for quality in (80, 70, 60, 50, 40):
        data = _jpeg(thumb, quality)
        if len(data) <= THUMB_MAX_BYTES:
            return data
    thumb.thumbnail((THUMB_EDGE // 2, THUMB_EDGE // 2))
    return _jpeg(thumb, 60)


def process_photo(data: bytes, filename: str = "") -> tuple[bytes, bytes, int, int]:
    """(original JPEG, thumbnail JPEG, width, height) of an upload; raises PhotoRejected."""
    image = _decode(data, filename)
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a broken orientation tag must not lose the photo
        pass
    if image.mode != "RGB":
        if image.mode in ("RGBA", "LA", "P", "PA"):
            image = image.convert("RGBA")
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image, mask=image.getchannel("A"))
            image = background
        else:
            image = image.convert("RGB")
    if max(image.size) > MAX_EDGE:
        # Hamming is as sharp as Lanczos for a reduction this small, at half the time on a 12 MP photo.
        image.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.HAMMING)
    # The big file skips the optimising pass (a few per cent of size, a tenth of a second).
    return _jpeg(image, 85, optimize=False), _thumbnail(image), image.width, image.height


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by this user only, whole or not at all (temporary name, then rename)."""
    media_root().mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.mkdir(exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def store_photo(data: bytes, filename: str = "") -> StoredPhoto:
    """Check, clean and write an upload's files; the caller adds the Photo row (see add_photo)."""
    original, thumbnail, width, height = process_photo(data, filename)
    sha = hashlib.sha256(original).hexdigest()
    if not photo_path(sha).exists():
        _write_private(photo_path(sha, thumbnail=True), thumbnail)
        _write_private(photo_path(sha), original)
    return StoredPhoto(sha, width, height, len(original))


def add_photo(data: bytes, filename: str, *, client_id: int, user_id: int | None, job_id: int | None = None,
              wishlist_item_id: int | None = None) -> Photo:
    """Store an upload and add its row (not committed). Raises PhotoRejected before anything is written."""
    stored = store_photo(data, filename)
    photo = Photo(client_id=client_id, job_id=job_id, wishlist_item_id=wishlist_item_id, sha256=stored.sha256,
                  width=stored.width, height=stored.height, size_bytes=stored.size_bytes, uploaded_by_id=user_id)
    db.session.add(photo)
    return photo


def remove_unreferenced(hashes: set[str]) -> int:
    """Delete the files of these hashes that no Photo row uses any more (after a commit)."""
    if not hashes:
        return 0
    used = set(db.session.scalars(sa.select(Photo.sha256).where(Photo.sha256.in_(hashes))))
    removed = 0
    for sha in hashes - used:
        for path in (photo_path(sha), photo_path(sha, thumbnail=True)):
            if path.exists():
                path.unlink()
                removed += 1
    return removed


def client_media_paths(client_id: int) -> list[Path]:
    """Every media file of a client's photos (for the client's data export and for backups)."""
    hashes = db.session.scalars(
        sa.select(Photo.sha256).where(Photo.client_id == client_id).distinct().order_by(Photo.sha256)
    ).all()
    paths = []
    for sha in hashes:
        paths.extend(p for p in (photo_path(sha), photo_path(sha, thumbnail=True)) if p.exists())
    return paths


def erase_client_media(client_id: int) -> int:
    """Delete a client's photos, rows and files (files shared with another client's photo stay).

    Commits, so the rows are gone before the files; returns how many files were removed.
    """
    hashes = set(db.session.scalars(sa.select(Photo.sha256).where(Photo.client_id == client_id)))
    db.session.execute(sa.delete(Photo).where(Photo.client_id == client_id).execution_options(
        synchronize_session=False))
    db.session.commit()
    return remove_unreferenced(hashes)
