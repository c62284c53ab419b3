"""The back-office work queue: every "tell finance / the branch manager / compliance" is an item.

    queue.open("payment_review", ("payment", 7), "finance", summary="KES 2,000 withdrawal in review",
               due_at=now + timedelta(hours=4), dedupe_key="payment_review:7")

- `open(kind, subject, role, *, summary, due_at=None, dedupe_key=None, details=None, actor=None)`
  returns the WorkItem; with a `dedupe_key` already used it returns that item and
  notifies no one again (safe from a retried job). Each active staff member with
  the role and a phone gets an SMS through the outbox (sent after commit); the
  console shows the queue. `actor` defaults to the system (`job` channel).
- `list(role=None, status="open")`: soonest due first, then oldest.
- `overdue(now=None)`: open items past `due_at` (for an escalation job).
- `assign(actor, item_id)`: take an item; `close(actor, item_id, resolution)`:
  done. Both need the actor to hold the item's role (or branch_manager, who holds
  every desk's duties); closing twice raises WorkItemError.

Staff SMS are English (they are staff-facing, not member-facing) and carry the
summary: write summaries without PINs or full ID numbers.
"""

from sqlalchemy import select

from app.audit.services import subject_parts
from app.staff import errors
from app.staff.actor import STAFF, Actor
from app.staff.models import DONE, OPEN, WorkItem
from app.staff.permissions import ROLES

OVERSEER = "branch_manager"
"""May work any desk's item (the role holds every desk role's permissions)."""
SMS_KIND = "staff_work_item"


class WorkQueue:
    def __init__(self, session, *, clock, staff, audit, send_sms):
        self.session = session
        self.clock = clock
        self.staff = staff
        self.audit = audit
        self.send_sms = send_sms
        """callable(phone, text, kind=...) recording an SMS in the outbox (app/notifications/outbox.py)."""

    def get(self, item_id, *, lock=False):
        query = select(WorkItem).where(WorkItem.id == item_id)
        return self.session.scalars(query.with_for_update() if lock else query).first()

    def open(self, kind, subject, role, *, summary, due_at=None, dedupe_key=None, details=None, actor=None):
        """The new (or, by dedupe_key, existing) WorkItem for `role`; its holders are told once."""
        if role not in ROLES:
            raise errors.WorkItemError(f"unknown role {role!r} for a work item")
        if dedupe_key:
            existing = self.session.scalars(select(WorkItem).where(WorkItem.dedupe_key == dedupe_key)).first()
            if existing is not None:
                return existing
        subject_type, subject_id = subject_parts(subject)
        item = WorkItem(kind=kind, subject_type=subject_type, subject_id=subject_id, role=role,
                        summary=summary[:200], details=details or {}, status=OPEN, dedupe_key=dedupe_key,
                        opened_at=self.clock.now(), due_at=due_at)
        self.session.add(item)
        self.session.flush()
        actor = actor or Actor.system("work_queue")
        self.audit.record(actor, "work.open", ("work_item", item.id),
                          after={"kind": kind, "subject": item.subject, "role": role, "summary": item.summary})
        self._notify(item)
        return item

    def _notify(self, item):
        due = f" due {item.due_at.astimezone(self.clock.zone).strftime('%d %b %H:%M')}" if item.due_at else ""
        text = f"Pamoja {item.role} queue #{item.id}: {item.summary}{due}"
        for person in self.staff.holders(item.role):
            if person.phone:
                self.send_sms(person.phone, text, kind=SMS_KIND)

    def list(self, role=None, status=OPEN, limit=200):
        query = select(WorkItem).order_by(WorkItem.due_at.asc().nulls_last(), WorkItem.id).limit(limit)
        if role:
            query = query.where(WorkItem.role == role)
        if status:
            query = query.where(WorkItem.status == status)
        return list(self.session.scalars(query))

    def overdue(self, now=None):
        """Open items whose due_at has passed, oldest due first."""
        return list(self.session.scalars(select(WorkItem).where(
            WorkItem.status == OPEN, WorkItem.due_at <= (now or self.clock.now())).order_by(WorkItem.due_at)))

    def _workable(self, actor, item_id):
        item = self.get(item_id, lock=True)
        if item is None:
            raise errors.WorkItemError(f"no work item #{item_id}")
        staff = self.staff.require(actor, "work.view")
        if actor.kind != STAFF or not ({item.role, OVERSEER} & set(staff.roles)):
            raise errors.PermissionDenied(f"work item #{item.id} belongs to {item.role}; {staff.username} has "
                                          f"{', '.join(staff.roles)}", permission="work.view", actor=actor)
        if item.status != OPEN:
            raise errors.WorkItemError(f"work item #{item.id} is already done")
        return item

    def assign(self, actor, item_id):
        """The actor takes the item (shown as theirs in the queue)."""
        item = self._workable(actor, item_id)
        before = item.assignee_staff_id
        item.assignee_staff_id = actor.id
        self.audit.record(actor, "work.assign", ("work_item", item.id), before={"assignee": before},
                          after={"assignee": actor.id})
        return item

    def close(self, actor, item_id, resolution):
        """Mark the item done with what was done; WorkItemError if unknown or already done."""
        resolution = (resolution or "").strip()
        if not resolution:
            raise errors.WorkItemError("say what was done (--note) to close a work item")
        item = self._workable(actor, item_id)
        item.status, item.closed_at, item.closed_by_staff_id = DONE, self.clock.now(), actor.id
        item.resolution = resolution
        self.audit.record(actor, "work.close", ("work_item", item.id), reason=resolution,
                          before={"status": OPEN}, after={"status": DONE})
        return item
