"""What the owner and managers see in Settings about the instance: the last backup, and morning
digests whose outcome nobody knows."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from clientbook.backups.nightly import BackupStatus, backup_status
from clientbook.extensions import db
from clientbook.models import DigestDelivery, User
from clientbook.reminders.digest import digests_needing_attention


@dataclass
class DigestNotice:
    day: str
    user_name: str
    state: str
    error: str


@dataclass
class InstanceHealth:
    backup: BackupStatus
    digests: list[DigestNotice]


def instance_health() -> InstanceHealth:
    deliveries: list[DigestDelivery] = digests_needing_attention()
    names = dict(db.session.execute(sa.select(User.id, User.name).where(
        User.id.in_({delivery.user_id for delivery in deliveries}))).all()) if deliveries else {}
    return InstanceHealth(
        backup=backup_status(),
        digests=[DigestNotice(delivery.day.isoformat(), names.get(delivery.user_id, "?"), delivery.state,
                              delivery.error) for delivery in deliveries],
    )
