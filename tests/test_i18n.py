"""Languages (issue 16): Jonas reads the board in German because his browser asks for it; Anna, German too, picks
English in her settings and keeps it whatever her browser says; visitors' cached pages never cross languages; and the
German catalogue is complete, compiled and in step with the templates, so it cannot quietly rot."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup

from ideaboard import i18n
from ideaboard.accounts import create_user
from ideaboard.models import Idea, Role, User
from tests.conftest import PASSWORD

ROOT = Path(__file__).parent.parent
PO = ROOT / "ideaboard" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
def read(path: Path, reader=read_po):
    with path.open("rb") as f:
        return reader(f, locale="de") if reader is read_po else reader(f)


def ids(catalog) -> dict:
    """msgid -> msgstr, plural forms as tuples (the .mo reader gives lists)."""
    key = lambda v: v if isinstance(v, str) else tuple(v)  # noqa: E731
    return {key(m.id): key(m.string) for m in catalog if m.id}


GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


@pytest.fixture
async def anna(app) -> User:
    """Anna, a customer in Berlin whose browser asks for German."""
    return await create_user("anna@example.de", "Anna Schmidt", PASSWORD, Role.CUSTOMER)


def lang(page: str) -> str:
    return BeautifulSoup(page, "html.parser").html["lang"]


async def test_a_german_visitor_reads_the_board_the_idea_and_sign_up_in_german(visitor, alice, make_idea):
    idea = await make_idea(alice, "Hafermilch in jeder Filiale")
    board = await visitor.get("/", headers=GERMAN)
    assert lang(board.text) == "de"
    assert "Registrieren" in board.text and "Anmelden" in board.text and "Log in" not in board.text
    assert "1 Idee" in board.text and "gerade eben" in board.text
    page = await visitor.get(f"/ideas/{idea.id}", headers=GERMAN)
    assert lang(page.text) == "de" and "Noch keine Kommentare" in page.text and "Geteilt von" in page.text
    assert "Neu</span>" in page.text  # the status badge too
    signup = await visitor.get("/signup", headers=GERMAN)
    assert "Werden Sie Teil der Community" in signup.text and "Konto erstellen" in signup.text
    assert lang(signup.text) == "de"


async def test_without_a_language_we_offer_the_page_is_english(visitor):
    for header in ({}, {"Accept-Language": "fr-FR,fr;q=0.9"}, {"Accept-Language": "*"}, {"Accept-Language": ";;q=x"}):
        page = await visitor.get("/signup", headers=header)
        assert lang(page.text) == "en" and "Join the community" in page.text


async def test_anna_chooses_english_in_her_settings_and_gets_it_despite_her_browser(browser_for, anna):
    client = await browser_for(anna)
    settings = await client.get("/settings", headers=GERMAN)
    assert lang(settings.text) == "de" and "Sprache" in settings.text
    chosen = BeautifulSoup(settings.text, "html.parser").select_one("#locale option[selected]")
    assert chosen["value"] == "auto"  # nothing chosen yet: as the browser asks
    response = await client.post("/settings/language", {"locale": "en"}, headers=GERMAN)
    assert response.status_code == 303 and (await User.get(id=anna.id)).locale == "en"
    page = await client.get("/settings", headers=GERMAN)
    assert lang(page.text) == "en" and "Language: English." in page.text and "Appearance" in page.text
    await client.post("/settings/language", {"locale": "de"})  # and German although her browser says nothing
    assert lang((await client.get("/")).text) == "de"
    await client.post("/settings/language", {"locale": "auto"})
    assert (await User.get(id=anna.id)).locale is None
    assert lang((await client.get("/")).text) == "en"


async def test_an_unknown_language_is_refused_with_the_form_again(browser_for, anna):
    client = await browser_for(anna)
    response = await client.post("/settings/language", {"locale": "xx"})
    assert response.status_code == 422 and "Choose one of the languages." in response.text
    assert (await User.get(id=anna.id)).locale is None


async def test_dates_and_vote_counts_are_written_the_locales_way(visitor, alice, make_idea):
    idea = await make_idea(alice, "Mehr Sitzplätze")
    three_days_ago = datetime.now(UTC) - timedelta(days=3, minutes=5)
    await Idea.filter(id=idea.id).update(created_at=three_days_ago, score=12345, upvotes=12400, downvotes=55)
    german = (await visitor.get("/", headers=GERMAN)).text
    english = (await visitor.get("/")).text
    assert "vor 3 Tagen" in german and "3 days ago" in english
    assert ">12.345<" in german and ">12,345<" in english
    assert "12.400↑ 55↓" in german and "12,400↑ 55↓" in english


async def test_board_cards_count_comments_by_the_catalogues_plural_rule(visitor, alice, make_idea):
    one, many = await make_idea(alice, "Mehr Steckdosen"), await make_idea(alice, "Längere Öffnungszeiten")
    await Idea.filter(id=one.id).update(comment_count=1)
    await Idea.filter(id=many.id).update(comment_count=1234)
    german = (await visitor.get("/", headers=GERMAN)).text
    english = (await visitor.get("/")).text
    assert "1 Kommentar<" in german and "1.234 Kommentare<" in german
    assert "1 comment<" in english and "1,234 comments<" in english


def test_the_formatters_follow_the_current_locale():
    moment = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with i18n.speaking("de"):
        assert i18n.datetime_utc(moment) == "07.12.2026, 09:00 UTC"
        assert i18n.month_year(moment) == "Dezember 2026"
        assert i18n.number(1234567) == "1.234.567"
        assert i18n.timeago(moment - timedelta(days=10), now=moment) == "vor 10 Tagen"
        assert i18n.timeago(moment, now=moment) == "gerade eben"
    assert i18n.datetime_utc(moment) == "7 Dec 2026, 09:00 UTC"  # English as the site always wrote it
    assert i18n.timeago(moment - timedelta(days=10), now=moment) == "10 days ago"  # whole units, never '1 week'
    assert i18n.timeago(moment - timedelta(hours=1), now=moment) == "1 hour ago"


def test_template_words_are_translated_once_and_their_values_escaped_every_time():
    from ideaboard.templating import templates

    page = templates.env.from_string(
        '{{ _("Log in to promote: %(idea_title)s", idea_title=title) }}|{{ _("90%% answered within") }}|'
        '{{ ngettext("%(num)s idea", "%(num)s ideas", 2) }}|'
        '{{ ngettext("%(num)s idea", "%(num)s ideas", 1, num=one) }}')
    with i18n.speaking("de"):
        german = page.render(title='<script>"x"</script>', one="<eins>")
        again = page.render(title="Dark & light", one="1")
    assert german == ("Anmelden, um dafür zu stimmen: &lt;script&gt;&#34;x&#34;&lt;/script&gt;|90 % beantwortet "
                      "innerhalb von|2 Ideen|&lt;eins&gt; Idee")
    assert again.startswith("Anmelden, um dafür zu stimmen: Dark &amp; light|")
    assert page.render(title="<b>", one="1") == "Log in to promote: &lt;b&gt;|90% answered within|2 ideas|1 idea"


def test_accept_language_is_read_by_quality_then_order():
    assert i18n.accepted("en;q=0.4, de-AT, fr;q=0.8") == ["de_AT", "fr", "en"]
    assert i18n.from_header("de-AT") == "de" and i18n.from_header("fr, en;q=0.1") == "en"
    assert i18n.choose("en", "de-DE") == "en" and i18n.choose(None, "de-DE") == "de" and i18n.choose("xx", "") == "en"


@pytest.fixture
def settings(settings):
    return replace(settings, page_cache_seconds=30)


async def test_cached_visitor_pages_never_cross_languages(visitor, alice, make_idea):
    await make_idea(alice, "Pfandbecher")
    first_german = await visitor.get("/", headers=GERMAN)
    english = await visitor.get("/")
    german = await visitor.get("/", headers={"Accept-Language": "de"})  # another spelling of the same language
    assert lang(first_german.text) == "de" and lang(english.text) == "en" and lang(german.text) == "de"
    assert german.headers["etag"] == first_german.headers["etag"]  # served from the cache: one German copy
    assert english.headers["etag"] != german.headers["etag"]
    assert "Accept-Language" in english.headers["vary"] and "Cookie" in english.headers["vary"]
    assert english.headers["cache-control"].startswith("public")
    # a proxy revalidating an English copy with a German visitor's header gets the German page, not a 304
    revalidated = await visitor.get("/", headers={**GERMAN, "If-None-Match": english.headers["etag"]})
    assert revalidated.status_code == 200 and lang(revalidated.text) == "de"


async def test_a_password_reset_email_is_in_the_language_anna_chose(browser_for, visitor, anna, settings):
    from tests.mailbox import outbox, text_of

    anna.locale = "de"
    await anna.save(update_fields=["locale"])
    await visitor.post("/forgot", {"email": anna.email})  # her browser says nothing: her setting decides
    for _ in range(50):
        mails = [m for m in outbox(settings) if m["To"] == anna.email]
        if mails:
            break
        await asyncio.sleep(0.1)
    assert "zurück" in mails[-1]["Subject"]
    body = text_of(mails[-1])
    assert "Hallo Anna Schmidt," in body and "Der Link funktioniert einmal" in body


def test_every_message_has_a_german_translation_and_the_placeholders_match():
    catalog = read(PO)
    untranslated = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple)
                                                            else m.string)]
    assert untranslated == []
    assert not [m.id for m in catalog if m.id and m.fuzzy]
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


def test_extraction_finds_nothing_missing_from_the_catalogue(tmp_path):
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "lazy_gettext",
                                "-k", "N_", "--no-location", "-o", str(pot), str(ROOT)])
    extracted = set(ids(read(pot)))
    catalogued = set(ids(read(PO)))
    assert sorted(map(str, extracted - catalogued)) == []  # run the README's "Translating" commands
    assert sorted(map(str, catalogued - extracted)) == []  # no stale messages left behind either


def test_the_compiled_catalogue_matches_the_po_file():
    assert ids(read(MO, read_mo)) == ids(read(PO)), "run `pybabel compile -d ideaboard/translations`"


async def test_sams_staff_console_reads_in_german_too(browser_for, sam, alice, make_idea):
    idea = await make_idea(alice, "Pfandsystem für Becher")
    client = await browser_for(sam)
    await client.post("/settings/language", {"locale": "de"})
    pages = ["/staff/", f"/staff/ideas/{idea.id}", "/staff/reviews", "/staff/flags", "/staff/audit", "/staff/analytics",
             "/staff/campaigns", "/staff/clusters", "/staff/tweets", "/staff/desk"]
    for path in pages:
        page = await client.get(path)
        assert page.status_code == 200 and lang(page.text) == "de", path
    queue = (await client.get("/staff/")).text
    assert "Prüf-Warteschlange" in queue and "1 Idee wartet" in queue
    assert "Status ändern" in (await client.get(f"/staff/ideas/{idea.id}")).text


async def test_ada_shapes_the_workflow_in_german_and_sam_is_told_in_german(browser_for, ada, sam, alice, make_idea):
    idea = await make_idea(alice, "Pfandsystem für Becher")
    admin, staff = await browser_for(ada), await browser_for(sam)
    for client in (admin, staff):
        await client.post("/settings/language", {"locale": "de"})
    page = (await admin.get("/staff/admin/statuses")).text
    assert "Status und Workflow" in page and "Erlaubte Wechsel" in page and "Status hinzufügen" in page
    assert "Statuses and workflow" not in page and ">Offen</option>" in page
    form = {"name": "Braucht Design", "key": "", "colour": "blau", "phase": "planned", "description": "",
            "after": "under_review", "from": ["under_review"], "to": ["planned"]}
    bad = await admin.post("/staff/admin/statuses", form)
    assert bad.status_code == 422 and "Eine Farbe wird wie #2563eb geschrieben" in bad.text
    stuck = await admin.post("/staff/admin/statuses", {**form, "colour": "#0e7490", "from": []})
    assert stuck.status_code == 422 and "Nicht gespeichert: Der Workflow würde nicht mehr funktionieren." in stuck.text
    assert "Keine Idee kann Braucht Design von New aus erreichen" in stuck.text
    built_in = (await admin.get("/staff/admin/statuses/launched/delete")).text
    assert "Launched ist fest eingebaut: Das Board ist darauf angewiesen" in built_in and "Behalten" in built_in
    await staff.post(f"/staff/ideas/{idea.id}/hide")
    assert "Die Idee ist für die Öffentlichkeit ausgeblendet." in (await staff.get(f"/staff/ideas/{idea.id}")).text


async def test_a_refusal_from_the_rules_reaches_anna_in_german(browser_for, anna):
    await anna.save()
    anna.locale, anna.email_verified_at = "de", datetime.now(UTC)
    await anna.save(update_fields=["locale", "email_verified_at"])
    client = await browser_for(anna)
    response = await client.post("/ideas/new", {"title": "Hm", "body": "Zu kurz."})
    assert response.status_code == 422
    assert "Der Titel braucht 5 bis 120 Zeichen (er hat 2)." in response.text


async def test_anna_gets_her_notification_email_in_german_from_the_worker(anna, bob, make_idea, settings):
    from ideaboard.comments import add_comment
    from ideaboard.notification_mail import email_instant
    from tests.mailbox import outbox, text_of

    anna.locale = "de"
    await anna.save(update_fields=["locale"])
    idea = await make_idea(anna, "Mehr vegane Optionen")
    await add_comment(idea, bob, "Gute Idee!")
    await email_instant(settings)  # the worker: no request, so the locale is Anna's own
    [mail] = [m for m in outbox(settings) if m["To"] == anna.email]
    text = text_of(mail)
    assert "Hallo Anna Schmidt," in text and "Sie erhalten diese E-Mail, weil Sie dieser Idee folgen." in text


async def test_anna_reads_her_bell_in_german_and_alice_hers_in_english_and_the_batch_keeps_counting(
        browser_for, alice, anna, bob, sam, make_idea, api_for_persona, settings):
    from email.header import decode_header, make_header

    from ideaboard.comments import add_comment
    from ideaboard.follows import set_following
    from ideaboard.models import Notification, Status
    from ideaboard.notification_mail import email_instant
    from ideaboard.workflow import transition
    from tests.mailbox import outbox

    idea = await make_idea(alice, "Hafermilch in jeder Filiale")
    await set_following(anna, idea, True)  # Anna never chose a language: her browser asks for German
    await transition(idea, sam, Status.UNDER_REVIEW)
    await add_comment(idea, bob, "Gute Idee!")
    await add_comment(idea, bob, "Wirklich!")  # the unread batch grows to two
    annas, alices = await browser_for(anna), await browser_for(alice)
    bell = (await annas.get("/notifications", headers=GERMAN)).text
    assert "„Hafermilch in jeder Filiale“ ist jetzt In Prüfung" in bell
    assert "2 neue Kommentare zu „Hafermilch in jeder Filiale“" in bell and "new comments" not in bell
    english = (await alices.get("/notifications")).text
    assert "“Hafermilch in jeder Filiale” is now Under review" in english
    assert "2 new comments on “Hafermilch in jeder Filiale”" in english
    api = await api_for_persona(anna)
    [first, *_rest] = (await api.get("/api/v1/notifications", headers=GERMAN)).json()["items"]
    assert first["message"] == "2 neue Kommentare zu „Hafermilch in jeder Filiale“" and first["count"] == 2
    anna.locale = "de"  # now she chose German: the worker's emails say it in German, subjects too
    await anna.save(update_fields=["locale"])
    await email_instant(settings)
    subjects = {str(make_header(decode_header(m["Subject"]))) for m in outbox(settings) if m["To"] == anna.email}
    assert subjects == {"„Hafermilch in jeder Filiale“ ist jetzt In Prüfung",
                        "2 neue Kommentare zu „Hafermilch in jeder Filiale“"}
    old = await Notification.create(user_id=anna.id, message="An old line, from before params")  # an older row
    assert "An old line, from before params" in (await annas.get("/notifications", headers=GERMAN)).text
    await old.delete()


@pytest.fixture
async def api_for_persona(app, ada):
    """An API client with a read key Ada made for a persona (the bell through the API)."""
    import httpx

    from ideaboard import api_keys

    clients = []

    async def make(user: User):
        token = (await api_keys.create_key(ada, user, f"{user.name}'s app", ("read",))).token
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 headers={"Authorization": f"Bearer {token}"})
        clients.append(http)
        return http

    yield make
    for http in clients:
        await http.aclose()


async def test_built_in_statuses_read_in_german_until_ada_renames_one(visitor, browser_for, ada, alice, sam,
                                                                       make_idea):
    from ideaboard import status_store
    from ideaboard.models import Status
    from ideaboard.workflow import transition

    idea = await make_idea(alice, "Pfandbecher überall")
    for step in (Status.UNDER_REVIEW, Status.PLANNED, Status.IN_PROGRESS, Status.LAUNCHED):
        await transition(idea, sam, step)
    german = (await visitor.get(f"/ideas/{idea.id}", headers=GERMAN)).text
    assert 'title="Ausgeliefert.">Umgesetzt</span>' in german
    assert 'title="Shipped.">Launched</span>' in (await visitor.get(f"/ideas/{idea.id}")).text
    launched = statuses_now().get("launched")
    await status_store.edit_status(ada, "launched", {"name": "Live im Laden", "colour": launched.colour,
                                                     "description": "Shipped.", "phase": launched.phase.value})
    renamed = (await visitor.get(f"/ideas/{idea.id}?again=1", headers=GERMAN)).text
    assert 'title="Ausgeliefert.">Live im Laden</span>' in renamed  # her name as she wrote it; the text untouched
    assert ">Umgesetzt</span>" not in renamed
    assert ">Live im Laden</span>" in (await visitor.get(f"/ideas/{idea.id}?again=1")).text


def statuses_now():
    from ideaboard import statuses

    return statuses.current()


async def test_the_feeds_are_titled_in_the_readers_language(visitor, alice, make_idea):
    await make_idea(alice, "Hafermilch")
    german = await visitor.get("/feeds/ideas.atom", headers=GERMAN)
    assert '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">' in german.text
    assert "<title>Neue Ideen · " in german.text
    english = await visitor.get("/feeds/ideas.atom")  # the page cache keeps one per language
    assert "<title>New ideas · " in english.text and 'xml:lang="en"' in english.text


async def test_form_limits_write_their_numbers_the_german_way(browser_for, anna, alice, make_idea):
    anna.locale, anna.email_verified_at = "de", datetime.now(UTC)
    await anna.save(update_fields=["locale", "email_verified_at"])
    idea = await make_idea(alice, "Hafermilch in jeder Filiale")
    client = await browser_for(anna)
    response = await client.post(f"/ideas/{idea.id}/comments", {"body": "x" * 5_001})
    assert response.status_code == 422
    assert "5.000 Zeichen" in response.text and "5,000" not in response.text


async def test_sam_approves_annas_held_idea_from_an_english_console_and_anna_is_told_in_german(
        browser_for, anna, sam, make_idea, settings):
    from ideaboard.models import Review
    from ideaboard.urls import urls
    from tests.mailbox import outbox, text_of

    anna.locale = "de"
    await anna.save(update_fields=["locale"])
    idea = await make_idea(anna, "Hafermilch in jeder Filiale")
    await Idea.filter(id=idea.id).update(hidden=True)
    held = await Review.create(idea_id=idea.id, author=anna, why="new member")
    approved = await (await browser_for(sam)).post(urls.staff_review_approve(held.id), {"reason": ""})
    assert approved.status_code == 303
    [mail] = [m for m in outbox(settings) if m["To"] == anna.email]
    assert str(mail["Subject"]) == "Ihre Idee ist online"
    assert "Hallo Anna Schmidt," in text_of(mail) and "Team hat Ihren Beitrag geprüft" in text_of(mail)


@pytest.fixture
async def greta(app) -> User:
    """Greta, a customer in Hamburg who never opened her settings: the browser she happens to use decides."""
    return await create_user("greta@example.de", "Greta Bauer", PASSWORD, Role.CUSTOMER)


async def test_greta_never_chose_a_language_and_her_emails_speak_the_one_she_last_browsed_in(
        browser_for, visitor, greta, bob, make_idea, settings):
    from ideaboard.comments import add_comment
    from ideaboard.notification_mail import email_instant
    from tests.mailbox import outbox, text_of

    def gretas_mail() -> str:
        return text_of([m for m in outbox(settings) if m["To"] == greta.email][-1])

    gretas = await browser_for(greta)
    assert lang((await gretas.get("/", headers=GERMAN)).text) == "de"  # her German laptop
    idea = await make_idea(greta, "Mehr Fahrradständer am Bahnhof")
    await add_comment(idea, bob, "Gute Idee!")
    await email_instant(settings)  # the worker: no browser to ask, but her account remembers hers
    assert "Hallo Greta Bauer," in gretas_mail() and "Sie erhalten diese E-Mail" in gretas_mail()
    await visitor.post("/forgot", {"email": greta.email})  # asked from a browser that says nothing
    assert "Hallo Greta Bauer," in gretas_mail() and "Der Link funktioniert einmal" in gretas_mail()

    await gretas.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})  # the office's English machine
    other = await make_idea(greta, "Bike racks at the station")
    await add_comment(other, bob, "Good idea!")
    await email_instant(settings)
    assert "Hi Greta Bauer," in gretas_mail() and "Hallo" not in gretas_mail()
    assert (await User.get(id=greta.id)).locale is None  # remembered, not chosen: her settings still say "browser"
