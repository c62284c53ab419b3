"""Invitations (app/members/invitations.py): in the sender's language, once a day, only for numbers not on Pamoja."""

from tests.member_helpers import make_member
from tests.messaging_helpers import messages_to

STRANGER = "+254799000321"


def test_invitation_is_in_the_senders_language_and_not_for_bad_or_registered_numbers(services):
    juma = make_member(services.session, "+254712000888", "Juma Hamisi")
    juma.locale = "sw"
    invitations = services.invitations
    assert invitations.invitable(juma, "not a phone") is None
    assert invitations.invitable(juma, juma.phone) is None
    assert invitations.invitable(juma, "0799000321") == STRANGER
    assert invitations.invite(juma, STRANGER) is True
    assert invitations.invite(juma, STRANGER) is False
    [sent] = messages_to(services.session, STRANGER, kind="invitation")
    assert sent.text == "Juma Hamisi anakualika Pamoja. Piga *384*1# kuweka akiba na kupokea malipo."
