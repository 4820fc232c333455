"""Role checks for views: enforced on the server for every route, htmx partials included."""
from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user, login_required

from clientbook.models import Role


def role_required(*roles: Role):
    """Allow only these roles (signed-in people of other roles get 403)."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


manager_required = role_required(Role.OWNER, Role.MANAGER)
owner_required = role_required(Role.OWNER)
