"""The KYC workflows: agent verification, staff verification, the top tier, downgrades.

Every change locks the member's row, writes one `kyc_changes` row and one audit event
(kyc.verify, kyc.tier3, kyc.downgrade) in the caller's transaction, and tells the
member by SMS (`kyc_raised` / `kyc_lowered`, keyed by the change so a retry sends once).
Checks come before any write, so a refusal leaves nothing half-done.

- An agent (logged in, PIN asked again on the confirm) verifies a member with the ID in
  hand: the number must match the member's registered ID (its keyed lookup hash), or is
  recorded when the member has none; a different number is refused (a typo or another
  person's card: staff decide). Tier 2.
- Staff with `kyc.verify` do the same from the CLI or console, with a reason.
- Tier 3 (documents sighted at a branch): `kyc.upgrade`, from tier 2 only, through
  maker-checker `kyc.tier3` (APPROVAL_THRESHOLDS; "kyc.tier3=0" = always a second,
  signed-in staff member); the approval handler makes the change.
- Downgrades: `kyc.verify`, with a reason, to any lower tier.
"""

from sqlalchemy import select

from app.audit.services import require_reason
from app.members.kyc import errors
from app.members.kyc.models import AGENT, MIGRATION, STAFF, KycChange
from app.members.kyc.tiers import DOCUMENTS_SIGHTED, ID_TYPES, ID_VERIFIED, TIERS
from app.members.models import Member
from app.staff.actor import Actor

MIGRATION_NOTICE = "kyc_migrated"
"""The notification kind that tells a member moved by migration 0017 how to verify."""


class KycService:
    def __init__(self, session, *, clock, members, staff, approvals, audit, notify):
        self.session = session
        self.clock = clock
        self.members = members
        self.staff = staff
        self.approvals = approvals
        self.audit = audit
        self.notify = notify

    def history(self, member):
        """The member's tier changes, newest first ([] when none)."""
        return list(self.session.scalars(select(KycChange).where(KycChange.member_id == member.id)
                                         .order_by(KycChange.id.desc())))

    def current_id_type(self, member):
        """The ID type last sighted for the member, or None when never verified."""
        return self.session.scalar(select(KycChange.id_type).where(
            KycChange.member_id == member.id, KycChange.id_type.is_not(None)).order_by(KycChange.id.desc()).limit(1))

    # -- raising to tier 2 -----------------------------------------------------------------

    def verify_by_agent(self, agent, member, id_type, id_number, *, channel="ussd"):
        """Tier 2 on an agent's word, the ID in hand; returns the KycChange. Raises KycError / MemberError."""
        actor = Actor.agent(agent.id, channel)
        return self._verify(actor, member, id_type, id_number, f"ID sighted by agent {agent.code}", AGENT)

    def verify_by_staff(self, actor, member, id_type, id_number, reason):
        """Tier 2 by staff with `kyc.verify` (a reason required); returns the KycChange."""
        self.staff.require(actor, "kyc.verify")
        reason = require_reason("kyc.verify", reason)
        return self._verify(actor, member, id_type, id_number, reason, STAFF)

    def _verify(self, actor, member, id_type, id_number, reason, source):
        if id_type not in ID_TYPES:
            raise errors.UnknownIdType()
        national_id = self.members.clean_national_id(id_number)
        member = self._locked(member)
        if member.kyc_level >= ID_VERIFIED:
            raise errors.AlreadyVerified()
        recorded = self._match_or_record(member, national_id)
        return self._change(actor, member, ID_VERIFIED, "kyc.verify", reason, source, id_type=id_type,
                            after={"id_type": id_type, "id_recorded": recorded})

    def _match_or_record(self, member, national_id):
        """False when `national_id` is the member's registered ID; True when recorded now (they had none)."""
        lookup = self.members.identity.lookup_hash(national_id)
        if member.national_id_lookup == lookup:
            return False
        if member.national_id_lookup:
            raise errors.IdMismatch()
        taken = self.session.scalar(select(Member.id).where(
            Member.national_id_lookup == lookup, Member.id != member.id, Member.kyc_level >= ID_VERIFIED).limit(1))
        if taken is not None:
            raise errors.IdTaken()
        self.members.record_national_id(member, national_id)
        return True

    # -- the top tier (maker-checker) ----------------------------------------------------------

    def request_top_tier(self, actor, member, reason):
        """Ask for tier 3 (`kyc.upgrade`): an Outcome from approvals; the change is made now only when no
        approval is needed (APPROVAL_THRESHOLDS without kyc.tier3)."""
        self.staff.require(actor, "kyc.upgrade")
        reason = require_reason("kyc.tier3", reason)
        member = self._locked(member)
        self._check_can_reach_top(member)
        outcome = self.approvals.request(actor, "kyc.tier3", ("member", member.id),
                                         {"member_id": member.id, "from_tier": member.kyc_level}, reason=reason)
        if outcome.run_now:
            self._change(actor, member, DOCUMENTS_SIGHTED, "kyc.tier3", reason, STAFF)
        return outcome

    def approve_top_tier(self, approval, checker):
        """The `kyc.tier3` approval handler: tier 3, if the member is still where the maker saw them."""
        member = self._locked(self.members.get(approval.payload["member_id"]))
        if member.kyc_level != approval.payload["from_tier"]:
            raise errors.TierRefused(f"member {member.id} is now at tier {member.kyc_level}, not "
                                     f"{approval.payload['from_tier']} as requested: reject this approval")
        self._check_can_reach_top(member)
        change = self._change(checker, member, DOCUMENTS_SIGHTED, "kyc.tier3", approval.reason, STAFF,
                              after={"approval": approval.id, "maker_staff_id": approval.maker_staff_id})
        return {"member_id": member.id, "kyc_change_id": change.id}

    @staticmethod
    def _check_can_reach_top(member):
        if member.kyc_level == DOCUMENTS_SIGHTED:
            raise errors.TierRefused(f"member {member.id} is already at tier 3")
        if member.kyc_level < ID_VERIFIED:
            raise errors.TierRefused(f"member {member.id} is at tier {member.kyc_level}: verify their ID "
                                     "(tier 2) before tier 3")

    # -- downgrades and the CLI's one entry ------------------------------------------------------

    def downgrade(self, actor, member, tier, reason):
        """Lower the member to `tier` (`kyc.verify`, a reason required); returns the KycChange."""
        self.staff.require(actor, "kyc.verify")
        reason = require_reason("kyc.downgrade", reason)
        member = self._locked(member)
        if tier not in TIERS or tier >= member.kyc_level:
            raise errors.TierRefused(f"member {member.id} is at tier {member.kyc_level}: a downgrade goes lower")
        return self._change(actor, member, tier, "kyc.downgrade", reason, STAFF)

    def set_tier(self, actor, member, tier, reason, *, id_type=None, id_number=None):
        """What `flask members kyc --tier N` does: downgrade, verify (tier 2), or ask for tier 3.

        Returns a KycChange, or an approvals Outcome for tier 3.
        """
        if tier not in TIERS:
            raise errors.TierRefused(f"tier must be one of {', '.join(map(str, TIERS))}")
        if member is None:
            raise errors.UnknownMember()
        if tier == member.kyc_level:
            raise errors.TierRefused(f"member {member.id} is already at tier {tier}")
        if tier < member.kyc_level:
            return self.downgrade(actor, member, tier, reason)
        if tier == DOCUMENTS_SIGHTED:
            return self.request_top_tier(actor, member, reason)
        if tier == ID_VERIFIED:
            if not id_type or not id_number:
                raise errors.TierRefused("tier 2 needs the ID type and number sighted")
            return self.verify_by_staff(actor, member, id_type, id_number, reason)
        raise errors.TierRefused("tier 1 comes from registering an ID number; verify the ID for tier 2")

    # -- the notice of migration 0017 ----------------------------------------------------------

    def notify_migrated(self, after_id=0, limit=500):
        """Tell the members migration 0017 moved (all of them have lower limits: before it no tier had
        balance or daily limits and every loan ceiling was higher) how to verify at an agent.

        One notification per change row, keyed by it: a second run sends nothing twice.
        Returns (rows read, notifications made, last row id) for batching.
        """
        rows = list(self.session.execute(
            select(KycChange, Member).join(Member, Member.id == KycChange.member_id)
            .where(KycChange.source == MIGRATION, KycChange.id > after_id).order_by(KycChange.id).limit(limit)))
        made = sum(self.notify(member, MIGRATION_NOTICE, f"kyc_change:{change.id}") is not None
                   for change, member in rows)
        return len(rows), made, rows[-1][0].id if rows else after_id

    # -- the one place a tier changes ------------------------------------------------------------

    def _locked(self, member):
        if member is None:
            raise errors.UnknownMember()
        return self.session.scalar(select(Member).where(Member.id == member.id).with_for_update()
                                   .execution_options(populate_existing=True))

    def _change(self, actor, member, tier, action, reason, source, *, id_type=None, after=None):
        before = member.kyc_level
        change = KycChange(member_id=member.id, from_tier=before, to_tier=tier, source=source, actor=actor.label,
                           id_type=id_type, reason=reason, created_at=self.clock.now())
        self.session.add(change)
        member.kyc_level = tier
        self.session.flush()
        self.audit.record(actor, action, ("member", member.id), before={"kyc_level": before},
                          after={"kyc_level": tier, "kyc_change_id": change.id, **(after or {})}, reason=reason)
        self.notify(member, "kyc_raised" if tier > before else "kyc_lowered", f"kyc_change:{change.id}",
                    tier=tier)
        return change


def approve_top_tier(services, approval, checker):
    """The `kyc.tier3` handler as app/services.py `approval_handlers()` calls it."""
    return services.kyc.approve_top_tier(approval, checker)
