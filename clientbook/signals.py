"""Signals that let features react to each other without importing each other.

Receivers take the Flask app as sender and keyword arguments as documented here.
They run inside the sender's transaction: add to db.session, don't commit.
"""
from blinker import Namespace

_signals = Namespace()

# The shop and its owner were just created (first run): seed per-shop defaults.
shop_created = _signals.signal("shop-created")
# A client's dates, assignment, consent or contact details changed.
# kwargs: client_id, or client_ids=[...] for a batch (imports, the demo book)
client_changed = _signals.signal("client-changed")
# Clients were handed to someone else (or to nobody). kwargs: client_ids=[...] (one send per batch)
clients_reassigned = _signals.signal("clients-reassigned")
# A purchase was added to a client. kwargs: client_id, purchase_id, or client_ids=[...] for a batch
purchase_recorded = _signals.signal("purchase-recorded")
# Duplicates were merged. kwargs: kept_id, merged_ids (list[int])
clients_merged = _signals.signal("clients-merged")

# Work for the queue, asked for by domain code, which never imports the task layer: the task
# modules connect these (clientbook.tasks.load_task_modules, run by create_app).
# A queued message should go out now, or at `eta` (naive UTC). kwargs: message_id, eta
delivery_requested = _signals.signal("delivery-requested")
# A campaign started sending: tick it. kwargs: campaign_id
campaign_started = _signals.signal("campaign-started")
