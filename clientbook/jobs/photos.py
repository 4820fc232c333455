"""Photo files, served only to staff who may open the photo's client card, and the client's photos page."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, request, send_file, url_for
from flask_login import current_user, login_required

from clientbook.clients.access import get_client_or_404
from clientbook.clients.card_views import editable_client
from clientbook.extensions import db
from clientbook.jobs import bp
from clientbook.jobs.views import too_large_for_a_photo, uploaded_photo
from clientbook.media import PhotoRejected, add_photo, photo_path
from clientbook.models import Photo, WishlistItem
from clientbook.web import render


@bp.get("/photos/<int:photo_id>/<any(full, thumb):size>.jpg")
@login_required
def photo_file(photo_id: int, size: str):
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        abort(404)
    get_client_or_404(photo.client_id)
    path = photo_path(photo.sha256, thumbnail=size == "thumb")
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", conditional=True, max_age=0)
    # The file never changes (its name is its hash), but who may see it can: keep it out of shared caches.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _client_photos_page(client, status: int = 200, error: str | None = None):
    photos = list(db.session.scalars(sa.select(Photo).where(Photo.client_id == client.id, Photo.job_id.is_(None))
                                     .order_by(Photo.id.desc())))
    wishes = list(db.session.scalars(sa.select(WishlistItem).where(WishlistItem.client_id == client.id)
                                     .order_by(WishlistItem.created_at.desc())))
    return render("jobs/photos.html", status=status, client=client, photos=photos, wishes=wishes, error=error,
                  wish_names={w.id: w.description for w in wishes})


@bp.get("/clients/<int:client_id>/photos")
@login_required
def client_photos(client_id: int):
    return _client_photos_page(get_client_or_404(client_id))


@bp.post("/clients/<int:client_id>/photos")
@login_required
def add_client_photo(client_id: int):
    """A photo of the client, or (with wishlist_item_id) of something on their wish list."""
    if too_large_for_a_photo():
        abort(413)
    client = editable_client(client_id)
    wish_id = request.form.get("wishlist_item_id", type=int) or None
    if wish_id is not None:
        wish = db.session.get(WishlistItem, wish_id)
        if wish is None or wish.client_id != client.id:
            abort(404)
    photo = uploaded_photo()
    if photo is None:
        return _client_photos_page(client, 422, "Take or choose a photo first.")
    try:
        add_photo(*photo, client_id=client.id, user_id=current_user.id, wishlist_item_id=wish_id)
    except PhotoRejected as exc:
        db.session.rollback()
        return _client_photos_page(client, 422, str(exc))
    db.session.commit()
    return redirect(url_for("jobs.client_photos", client_id=client.id), 303)
