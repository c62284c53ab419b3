"""KYC tiers: how far a member's identity is proven, and what each tier may do.

Tiers (app/members/kyc/tiers.py):
    0 phone only (no ID number): small balance and daily limits, no loans;
    1 ID number given at registration, not yet verified;
    2 ID sighted and verified by an agent ("Verify a member") or by staff (`kyc.verify`);
    3 documents sighted by staff at a branch (`kyc.upgrade`, maker-checker `kyc.tier3`).

Limits (one rule, one place): `KycLimits` (app/members/kyc/limits.py), wired once in
app/services.py as `services.kyc_limits`, answers the savings, transfer, agent cash and
loan services: balance and daily in/out per tier and currency (KYC_LIMITS), the loan
ceiling per tier (LOAN_KYC_TIERS). Its refusals are Texts the caller raises as its own
domain error, so every channel shows them at the amount screen.

Changes (app/members/kyc/services.py, `services.kyc`): agent verification, staff
verification, the tier-3 upgrade through approvals, downgrades; each one writes a
`kyc_changes` row, an audit event (kyc.verify, kyc.tier3, kyc.downgrade) in the same
transaction, and tells the member by SMS.
"""
