"""All models, importable from one place: `from clientbook.models import Client`."""
from clientbook.models.core import LoginAttempt, Role, Shop, User, utcnow
from clientbook.models.sessions import PasswordReset, UserSession
from clientbook.models.clients import (
    Client,
    ClientExternalId,
    ClientSearchToken,
    ClientTag,
    ImportantDate,
    Note,
    Preference,
    PreferenceKey,
    Purchase,
    PurchaseItem,
    WishlistItem,
)
from clientbook.models.reminders import *  # noqa: F401,F403
from clientbook.models.messaging import *  # noqa: F401,F403
from clientbook.models.conversations import *  # noqa: F401,F403
from clientbook.models.appointments import *  # noqa: F401,F403
from clientbook.models.ops import *  # noqa: F401,F403
from clientbook.models.jobs import *  # noqa: F401,F403
from clientbook.models.imports import *  # noqa: F401,F403
