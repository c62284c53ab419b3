"""The menu engine, driven through `Engine.handle` with a small purpose-built tree.

Real Redis (the session store) and real Postgres (a member row the actions write
to); the channel profiles are the USSD one the app uses and a chat one with no
length limit.
"""

import json

import pytest
from sqlalchemy import select

from app.i18n import T
from app.keys import menu_session_key
from app.members.models import Member
from channels.ussd import measure, ussd_profile
from menus.engine import ChannelProfile, Engine, Finish, Reprompt
from menus.screens import Branch, Confirm, End, Input, Invalid, Menu, Option, Paged, Pin
from menus.session import SessionStore
from menus.tree import MenuTree, TreeError
from tests.log_helpers import logged_text
from tests.ussd_helpers import UssdPhone

PHONE = "+254700000001"
ITEMS = [f"Item {number:02d} with a fairly long label" for number in range(1, 31)]


class Calls:
    """Counts how often each test action ran."""

    def __init__(self):
        self.counts = {}
        self.values = []

    def hit(self, name, value=None):
        self.counts[name] = self.counts.get(name, 0) + 1
        if value is not None:
            self.values.append(value)

    def __getitem__(self, name):
        return self.counts.get(name, 0)


def build_tree(calls):
    def arrive(ctx):
        if ctx.member is not None:
            ctx.set_member(ctx.member)
        return "ok"

    def count(ctx, value):
        calls.hit("count", value)

    def digits(ctx, raw):
        if not (raw.isascii() and raw.isdigit()):
            raise Invalid("Enter digits only.")
        return int(raw)

    def write_then_invalid(ctx, value):
        ctx.member.name = "Rolled Back"
        ctx.services.session.flush()
        calls.hit("invalid")
        raise Invalid("Refused.")

    def write_then_reprompt(ctx, value):
        ctx.member.name = "Kept Name"
        calls.hit("reprompt")
        return Reprompt(T("Noted, try again."))

    def write_then_finish(ctx, value):
        ctx.member.name = "Finished Name"
        calls.hit("finish")
        return Finish(T("All done, {name}.", name=ctx.member.name))

    def check_pin(ctx, pin):
        calls.hit("pin")
        return "ok" if pin == "4821" else Reprompt("Wrong PIN.")

    def confirmed(ctx):
        calls.hit("confirm")

    return MenuTree("test", start="entry", home="main", screens=[
        Branch("entry", decide=arrive, next="main"),
        Menu("main", "Savings", home=True, options=[
            Option("Count", "count"),
            Option("List", "list"),
            Option("Number", "number"),
            Option("Writes", "writes"),
            Option("Pin", "pin"),
            Option("Confirm", "confirm"),
            Option("Exit", "bye"),
        ]),
        Input("count", "Type anything:", key="typed", action=count, next="counted"),
        End("counted", "Counted."),
        Paged("list", "Pick one:", items=lambda ctx: [(label, index) for index, label in enumerate(ITEMS)],
              select=lambda ctx, item: calls.hit("picked", item[1]), next="picked"),
        End("picked", "Picked."),
        Input("number", "Enter a number:", key="number", parse=digits, next="deep"),
        Menu("deep", "Deep", options=[Option("Deeper", "deeper")]),
        Menu("deeper", "Deeper", options=[Option("Exit", "bye")]),
        Menu("writes", "Writes", options=[
            Option("Invalid", "write_invalid"), Option("Reprompt", "write_reprompt"),
            Option("Finish", "write_finish"),
        ]),
        Input("write_invalid", "Invalid write:", action=write_then_invalid, next="bye"),
        Input("write_reprompt", "Reprompt write:", action=write_then_reprompt, next="bye"),
        Input("write_finish", "Finish write:", action=write_then_finish, next="bye"),
        Pin("pin", "Enter your PIN:", action=check_pin, next="bye"),
        Confirm("confirm", "Send KES 100?", on_yes=confirmed, next="bye"),
        End("cancelled", "Cancelled."),
        End("bye", "Goodbye."),
    ])


@pytest.fixture
def calls():
    return Calls()


@pytest.fixture
def engine(calls, redis):
    return Engine(build_tree(calls), SessionStore(redis), secret="engine-test", max_errors=3)


@pytest.fixture
def member(services):
    return services.members.register(phone=PHONE, name="Amina Wanjiru", national_id="12345678", locale="en",
                                      pin="4821")


@pytest.fixture
def ussd(app):
    return ussd_profile(app.extensions["settings"])


CHAT = ChannelProfile(name="chat", session_ttl=600, max_chars=None, cumulative=False)


class Dialer:
    """One session through `Engine.handle`, keeping the cumulative text like Africa's Talking."""

    def __init__(self, engine, channel, services, session_id="s-1", phone=PHONE):
        self.engine, self.channel, self.services = engine, channel, services
        self.session_id, self.phone = session_id, phone
        self.inputs = []

    def post(self, text):
        return self.engine.handle(self.channel, self.session_id, self.phone, text, self.services)

    def dial(self):
        self.inputs = []
        return self.post("")

    def send(self, value):
        self.inputs.append(value)
        if not self.channel.cumulative:
            return self.post(value)
        return self.post("*".join(self.inputs))


@pytest.fixture
def phone(engine, ussd, services, member):
    return Dialer(engine, ussd, services)


def fits(reply):
    assert measure(reply.text) <= 160, reply.text
    return reply


# -- tree checks ----------------------------------------------------------------------------------


def test_duplicate_screen_is_refused():
    with pytest.raises(TreeError, match="twice"):
        MenuTree("t", start="a", home="a", screens=[End("a", "x"), End("a", "y")])


def test_dangling_transition_is_refused():
    with pytest.raises(TreeError, match="undefined"):
        MenuTree("t", start="a", home="a", screens=[
            Menu("a", "A", options=[Option("Go", "nowhere"), Option("End", "end")]), End("end", "bye")])


def test_unreachable_screen_is_refused():
    with pytest.raises(TreeError, match="unreachable"):
        MenuTree("t", start="a", home="a", screens=[
            Menu("a", "A", options=[Option("End", "end")]), End("end", "bye"), End("orphan", "never")])


def test_screen_with_no_end_reachable_is_refused():
    with pytest.raises(TreeError, match="no End reachable from"):
        MenuTree("t", start="a", home="a", screens=[
            Menu("a", "A", options=[Option("Loop", "b"), Option("End", "end")]),
            Menu("b", "B", options=[Option("Loop", "c")]),
            Menu("c", "C", options=[Option("Loop", "b")]),
            End("end", "bye"),
        ])


def test_missing_start_is_refused():
    with pytest.raises(TreeError, match="missing screen"):
        MenuTree("t", start="nope", home="a", screens=[Menu("a", "A", options=[Option("E", "end")]),
                                                       End("end", "bye")])


def test_member_tree_loads():
    from menus.member import MEMBER_TREE

    assert MEMBER_TREE.start == "entry" and "main" in MEMBER_TREE.screens


# -- cumulative text and replay ---------------------------------------------------------------------


def test_first_dial_shows_home_menu(phone):
    reply = fits(phone.dial())
    assert not reply.end
    assert reply.text.startswith("Savings\n1. Count\n2. List")
    assert "0 Back" not in reply.text  # nowhere to go back to on the home menu


def test_cumulative_text_yields_only_the_new_input(phone, calls):
    phone.dial()
    assert "Type anything:" in phone.send("1").text
    reply = phone.send("hello")
    assert reply == reply.__class__("Counted.", True)
    assert calls.values == ["hello"]


def test_replayed_request_gets_same_reply_without_running_the_action(phone, calls):
    phone.dial()
    phone.send("1")
    first = phone.post("1*hello")
    again = phone.post("1*hello")
    assert again == first
    assert calls["count"] == 1


def test_replayed_middle_hop_does_not_advance(phone, calls):
    phone.dial()
    menu = phone.send("1")
    assert phone.post("1") == menu
    assert phone.send("x").end
    assert calls.values == ["x"]


def test_fresh_session_with_a_path_starts_over_without_running_it(engine, ussd, services, member, calls):
    # A session Redis lost must not replay its path: a menu choice would be checked as a PIN.
    dialer = Dialer(engine, ussd, services, session_id="s-path")
    first = dialer.post("1*abc")
    assert not first.end and calls.values == []


# -- navigation -------------------------------------------------------------------------------------


def test_zero_goes_back_one_screen(phone):
    phone.dial()
    phone.send("3")
    assert phone.send("42").text.startswith("Deep")
    assert phone.send("1").text.startswith("Deeper")
    assert phone.send("0").text.startswith("Deep\n1. Deeper")
    assert phone.send("0").text.startswith("Enter a number:")
    assert phone.send("0").text.startswith("Savings")


def test_double_zero_goes_home_from_deep(phone):
    phone.dial()
    phone.send("3")
    phone.send("42")
    phone.send("1")
    reply = phone.send("00")
    assert reply.text.startswith("Savings\n1. Count")
    # Home resets the back-stack: 0 on the home menu shows it again, not an error.
    assert phone.send("0").text == reply.text


def test_zero_on_the_home_menu_is_not_an_error(phone):
    home = phone.dial()
    for _ in range(5):  # never counted towards "too many invalid entries"
        assert phone.send("0") == home


def full_screen_tree():
    options = [Option(f"Option number {n} with a long label", "bye") for n in range(1, 9)]
    return MenuTree("t", start="home", home="home", screens=[
        Menu("home", "Home", home=True, options=[Option("Full", "full"), Option("Ask", "ask")]),
        Menu("full", "A menu too full for one screen", options=options),
        Confirm("ask", "Line one of a long summary\n" + "\n".join(f"Detail {n}: KES 1,000.00" for n in range(9)),
                next="bye", cancel="bye"),
        End("bye", "Goodbye."),
    ])


@pytest.mark.parametrize("choice, count_lines", [("1", lambda t: [row for row in t.split("\n") if ". Option" in row]),
                                                 ("2", lambda t: [row for row in t.split("\n") if "Detail" in row])])
def test_a_full_screen_pages_and_keeps_its_navigation_line(ussd, services, redis, choice, count_lines):
    dialer = Dialer(Engine(full_screen_tree(), SessionStore(redis), secret="p"), ussd, services, session_id="s-full")
    dialer.dial()
    pages = [fits(dialer.send(choice))]
    while "98 More" in pages[-1].text:
        pages.append(fits(dialer.send("98")))
    assert len(pages) > 1
    for page in pages:
        assert page.text.endswith("0 Back 00 Menu"), page.text
    assert sum(len(count_lines(page.text)) for page in pages) in (8, 9)
    # The last page takes the screen's answer; option numbers are unchanged by paging.
    assert dialer.send("1").text == "Goodbye."


def test_nav_hint_shown_below_home(phone):
    phone.dial()
    assert phone.send("3").text.endswith("0 Back 00 Menu")


def test_arriving_again_at_a_screen_unwinds_the_stack(engine, ussd, services, redis, calls):
    # A retry loop (a mismatch sending the member back) must not leave the abandoned step on
    # the back-stack, or 0 would lead forward into it.
    def loop(ctx, value):
        return "again" if value == "again" else "ok"

    tree = MenuTree("t", start="first", home="first", screens=[
        Menu("first", "First", home=True, options=[Option("Go", "a")]),
        Input("a", "A:", next="b"),
        Input("b", "B:", action=loop, next={"again": "a", "ok": "end"}),
        End("end", "bye"),
    ])
    dialer = Dialer(Engine(tree, SessionStore(redis), secret="p"), ussd, services, session_id="s-loop")
    dialer.dial()
    dialer.send("1")
    dialer.send("x")
    assert dialer.send("again").text.startswith("A:")
    assert dialer.send("0").text.startswith("First")


def test_error_line_never_pushes_out_the_options(ussd, services, redis):
    summary = "Send KES 12,500 to Wanjiku Nyambura Kamau Odhiambo (+2547****5678) from your savings. " \
              "Fee KES 35. Total KES 12,535. Reference PMJ-2025-000123."
    tree = MenuTree("t", start="ask", home="ask", screens=[
        Confirm("ask", summary, home=True, next="done", cancel="done"), End("done", "Done."),
    ])
    dialer = Dialer(Engine(tree, SessionStore(redis), secret="p"), ussd, services, session_id="s-long")
    assert dialer.dial().text.endswith("1. Yes\n2. No")
    reply = fits(dialer.send("maybe"))
    assert reply.text == summary + "\n1. Yes\n2. No"  # the error line did not fit: left out, not the options
    short = MenuTree("t", start="ask", home="ask", screens=[
        Confirm("ask", "Send KES 100?", home=True, next="done", cancel="done"), End("done", "Done."),
    ])
    dialer = Dialer(Engine(short, SessionStore(redis), secret="p"), ussd, services, session_id="s-short")
    dialer.dial()
    assert dialer.send("maybe").text == "Reply 1 for Yes or 2 for No.\nSend KES 100?\n1. Yes\n2. No"


# -- paging -----------------------------------------------------------------------------------------


def test_paged_list_fits_and_pages_with_98(phone, calls):
    phone.dial()
    pages = [fits(phone.send("2"))]
    while "98 More" in pages[-1].text:
        pages.append(fits(phone.send("98")))
    assert len(pages) > 1
    shown = [line for page in pages for line in page.text.split("\n") if line.split(". ", 1)[-1] in ITEMS]
    assert shown == [f"{number}. {label}" for number, label in enumerate(ITEMS, start=1)]
    for page in pages:
        assert page.text.startswith("Pick one:")
        assert not page.end
    # 98 on the last page stays there.
    assert phone.send("98").text == pages[-1].text
    # Items keep their global numbers: one from the last page can be chosen.
    reply = phone.send("30")
    assert reply.text == "Picked." and reply.end
    assert calls.values == [29]


def test_paged_list_page_count_matches_what_fits(phone):
    phone.dial()
    first = phone.send("2").text
    per_page = sum(1 for line in first.split("\n") if line.split(". ", 1)[-1] in ITEMS)
    assert 1 < per_page < len(ITEMS)
    assert measure(first + "\n" + f"{per_page + 1}. {ITEMS[per_page]}") > 160


def test_paged_list_refuses_number_outside_list(phone):
    phone.dial()
    phone.send("2")
    assert "Choose a number from the list." in phone.send("31").text


def test_chat_channel_pages_by_page_size_without_length_limit(engine, services, member, calls):
    chat = Dialer(engine, CHAT, services, session_id=PHONE)
    assert chat.dial().text.startswith("Savings")
    page = chat.send("list").text  # chat may answer a menu with the option's label
    assert page.count("with a fairly long label") == CHAT.page_size
    assert page.split("\n")[-2] == "98 More"
    assert "10. Item 10" in chat.send("98").text


# -- validation -------------------------------------------------------------------------------------


def test_invalid_input_reprompts_with_an_error_line(phone):
    phone.dial()
    phone.send("3")
    reply = fits(phone.send("abc"))
    assert reply.text.startswith("Enter digits only.\nEnter a number:")
    assert not reply.end


def test_repeated_errors_end_politely(phone):
    phone.dial()
    phone.send("3")
    assert not phone.send("a").end
    assert not phone.send("b").end
    reply = phone.send("c")
    assert reply.end
    assert reply.text == "Too many invalid entries. Please dial again."


def test_valid_input_resets_the_error_count(phone):
    phone.dial()
    phone.send("3")
    phone.send("a")
    phone.send("b")
    assert phone.send("7").text.startswith("Deep")
    assert not phone.send("x").end
    assert not phone.send("y").end


def test_empty_first_hop_is_the_dial_again(phone):
    # Africa's Talking sends the same (empty) text: a replay, the same screen.
    assert phone.send("") == phone.dial()


def test_empty_hop_after_an_input_reprompts(phone):
    phone.dial()
    phone.send("3")
    assert phone.send("").text.startswith("Please enter a choice.\nEnter a number:")


@pytest.mark.parametrize("value, error", [
    ("   ", "Please enter a choice."),
    ("x" * 500, "That is too long. Try again."),
    ("😀", "Choose a number from the list."),
    ("**", "Choose a number from the list."),
    ("٣", "Choose a number from the list."),  # a non-ASCII digit is not an option number
    ("98", "Choose a number from the list."),  # 98 outside a paged list
])
def test_bad_menu_input_reprompts(phone, value, error):
    phone.dial()
    reply = fits(phone.send(value))
    assert reply.text.startswith(error + "\nSavings\n1. Count"), reply.text
    assert not reply.end


@pytest.mark.parametrize("value", ["", "x" * 500, "😀", "**", "12a"])
def test_bad_input_on_input_screen_reprompts(phone, value):
    phone.dial()
    phone.send("3")
    reply = fits(phone.send(value))
    assert "\nEnter a number:" in reply.text and not reply.end


def test_emoji_input_reprompt_stays_gsm7(phone):
    from channels.textfit import is_gsm7

    phone.dial()
    phone.send("3")
    assert is_gsm7(phone.send("😀").text)


# -- actions: Invalid, Reprompt, Finish, savepoints ---------------------------------------------------


def member_name(session, member_id):
    session.expire_all()
    return session.scalar(select(Member.name).where(Member.id == member_id))


def test_invalid_raised_in_action_rolls_back_its_writes(phone, services, member, calls):
    phone.dial()
    phone.send("4")
    phone.send("1")
    reply = phone.send("go")
    assert reply.text.startswith("Refused.\nInvalid write:")
    assert calls["invalid"] == 1
    assert member_name(services.session, member.id) == "Amina Wanjiru"


def test_reprompt_keeps_the_actions_writes(phone, services, member):
    phone.dial()
    phone.send("4")
    phone.send("2")
    reply = phone.send("go")
    assert reply.text.startswith("Noted, try again.\nReprompt write:")
    assert not reply.end
    assert member_name(services.session, member.id) == "Kept Name"


def test_reprompts_count_towards_the_error_limit(phone):
    phone.dial()
    phone.send("4")
    phone.send("2")
    assert not phone.send("a").end
    assert not phone.send("b").end
    reply = phone.send("c")
    assert reply.end
    assert reply.text == "Too many invalid entries. Please dial again."


def test_finish_ends_and_keeps_the_writes(phone, services, member):
    phone.dial()
    phone.send("4")
    phone.send("3")
    reply = phone.send("go")
    assert reply.end and reply.text == "All done, Finished Name."
    assert member_name(services.session, member.id) == "Finished Name"


def test_pin_screen_wrong_then_right(phone, calls):
    phone.dial()
    phone.send("5")
    assert phone.send("1111").text.startswith("Wrong PIN.\nEnter your PIN:")
    assert phone.send("4821").text == "Goodbye."
    assert calls["pin"] == 2


def test_confirm_yes_no_and_other(phone, calls, engine, ussd, services):
    phone.dial()
    assert phone.send("6").text.startswith("Send KES 100?\n1. Yes\n2. No")
    assert "Reply 1 for Yes or 2 for No." in phone.send("maybe").text
    assert phone.send("1").text == "Goodbye."
    assert calls["confirm"] == 1
    other = Dialer(engine, ussd, services, session_id="s-2")
    other.dial()
    other.send("6")
    assert other.send("2").text == "Cancelled."
    assert calls["confirm"] == 1


# -- chat profile -------------------------------------------------------------------------------------


def test_chat_profile_takes_each_message_as_input(engine, services, member, calls, redis):
    chat = Dialer(engine, CHAT, services, session_id=PHONE)
    first = chat.send("hi")  # a new chat shows the start screen, whatever was typed
    assert first.text.startswith("Savings")
    assert chat.send("1").text.startswith("Type anything:")
    long_text = "y" * 150
    reply = chat.send(long_text)
    assert reply.text == "Counted." and reply.end
    assert calls.values == [long_text]
    assert redis.get(menu_session_key("chat", PHONE)) is None  # an ended chat session is forgotten


def test_chat_does_not_treat_repeats_as_replays(engine, services, member):
    chat = Dialer(engine, CHAT, services, session_id=PHONE)
    chat.send("hi")
    chat.send("3")
    assert chat.send("abc").text.startswith("Enter digits only.")
    assert chat.send("abc").text.startswith("Enter digits only.")
    assert chat.send("abc").end


# -- sessions in Redis --------------------------------------------------------------------------------


def test_session_is_stored_with_the_channel_ttl(phone, redis):
    phone.dial()
    ttl = redis.ttl(menu_session_key("ussd", "s-1"))
    assert 0 < ttl <= 180
    state = json.loads(redis.get(menu_session_key("ussd", "s-1")))
    assert state["stack"] == ["main"] and state["member_id"] is not None


def test_pin_typed_on_ussd_never_reaches_redis(client, redis):
    handset = UssdPhone(client, "+254711000111")
    handset.session_id = "ATUid_fixed-session"
    handset.post("")
    stored = []
    for value in ("1", "Amina Wanjiru", "12345678", "4821", "4821"):
        body = handset.send(value)
        stored.extend(all_redis_values(redis))
    assert body.startswith("CON Welcome, Amina Wanjiru!")
    handset.send("00")
    stored.extend(all_redis_values(redis))
    assert stored, "expected the session in Redis"
    assert not [value for value in stored if "4821" in value]


def all_redis_values(redis):
    values = []
    for key in redis.scan_iter():
        kind = redis.type(key).decode()
        if kind == "string":
            values.append(redis.get(key))
        elif kind == "hash":
            values.extend(b"%s=%s" % pair for pair in redis.hgetall(key).items())
        elif kind == "list":
            values.extend(redis.lrange(key, 0, -1))
        elif kind in ("set", "zset"):
            values.extend(redis.smembers(key) if kind == "set" else redis.zrange(key, 0, -1))
        values.append(key)
    return [value.decode("utf-8", "replace") for value in values]


def test_logs_never_contain_the_pin(client, pamoja_log):
    handset = UssdPhone(client, "+254711000222")
    handset.session_id = "ATUid_log-session"
    handset.post("")
    for value in ("1", "Amina Wanjiru", "12345678", "4821", "4821"):
        handset.send(value)
    again = UssdPhone(client, "+254711000222")
    again.session_id = "ATUid_log-session-2"
    again.post("")
    again.send("9999")
    again.send("4821")
    records = pamoja_log.records
    assert any('"event": "hop"' in record.getMessage() for record in records)
    assert all("4821" not in logged_text(record) for record in records)


# -- i18n ---------------------------------------------------------------------------------------------


def test_kiswahili_member_sees_kiswahili(engine, ussd, services):
    services.members.register(phone="+254700000002", name="Baraka Otieno", national_id="87654321",
                              locale="sw", pin="4821")
    dialer = Dialer(engine, ussd, services, session_id="s-sw", phone="+254700000002")
    assert dialer.dial().text.startswith("Akiba\n")
    assert "Chagua nambari kutoka kwenye orodha." in dialer.send("x").text
    dialer.send("3")
    assert dialer.send("5").text.endswith("0 Rudi 00 Menyu")
