"""Realistic demo content for a new user's first run, and the create-user command."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from ideaboard import accounts, follows, workflow
from ideaboard.db import connect
from ideaboard.forms import FormErrors, parse_signup
from ideaboard.ideas import hot_score
from ideaboard.markdown import render_markdown
from ideaboard.models import Category, Comment, Idea, IdeaEvent, IdeaTag, Role, Status, Tag, User, Vote
from ideaboard.settings import Settings

PASSWORD = "ideaboard-demo"
STAFF = [("Sam Rivera", "sam@brewline.example", Role.STAFF), ("Ada Okafor", "ada@brewline.example", Role.ADMIN),
         ("Erin Cho", "erin@brewline.example", Role.EMPLOYEE)]
CUSTOMERS = ["Alice Martin", "Bob Nguyen", "Carla Diaz", "Dev Patel", "Emma Schulz", "Farid Haddad", "Grace Kim",
             "Hugo Lefebvre", "Ines Costa", "Jonas Berg", "Kira Tanaka", "Liam O'Brien"]
DEMO_LOGINS: dict[str, Any] = {"password": PASSWORD, "accounts": [
    ("admin", "ada@brewline.example"), ("staff", "sam@brewline.example"), ("employee", "erin@brewline.example"),
    ("customer", "alice@example.com")]}
CATEGORIES = ["Mobile app", "In the store", "Drinks & food", "Rewards", "Sustainability"]
IDEAS = [
    ("Dark mode for the mobile app", "Mobile app", "ui mobile",
     "Ordering at night with a bright white screen hurts. A **dark theme** that follows the phone setting would be "
     "great."),
    ("Let me save my usual order", "Mobile app", "ordering",
     "I order the same oat flat white every morning. A *favourite order* button would save me six taps."),
    ("Reusable cup discount in every store", "Sustainability", "cups",
     "Some stores give 10 cents off for bringing a cup, others don't. Make it the same everywhere and show it on the "
     "receipt."),
    ("Show how busy a store is before I go", "In the store", "queue",
     "A simple 'quiet / busy / very busy' indicator per store, like Google Maps has, so I can pick the closer quiet "
     "one."),
    ("Oat milk at no extra charge", "Drinks & food", "milk vegan",
     "Plant milks cost 60 cents more. Many of us can't drink dairy; please make oat milk the same price."),
    ("Birthday reward should last a week", "Rewards", "birthday",
     "The free birthday drink expires the same day. If my birthday is on a weekend I never get it."),
    ("Compostable lids", "Sustainability", "cups packaging",
     "The lids are the only part of the cup that can't be composted. Other chains already switched."),
    ("Split the bill in the app", "Mobile app", "payments",
     "When I order for my team I want each person to pay their part from their own account."),
    ("More seats with power outlets", "In the store", "seating",
     "Half the tables have no outlet. People working remotely would stay (and order) longer."),
    ("Seasonal menu preview for members", "Rewards", "menu",
     "Let rewards members try the seasonal drinks a week early and vote on which ones stay."),
    ("Allergen filter on the menu", "Drinks & food", "allergens",
     "Let me hide everything containing nuts or gluten. Scrolling ingredient lists in the queue is stressful."),
    ("Apple Watch ordering", "Mobile app", "wearables", "Reorder my usual from the watch while walking to the store."),
    ("Recycle coffee grounds for gardeners", "Sustainability", "grounds",
     "Bag the used grounds and let customers take them for free for their gardens."),
    ("Tip the barista in the app", "Mobile app", "payments",
     "Card and app payments have no tip option, so I never have cash to thank them."),
    ("Sugar-free syrups in every flavour", "Drinks & food", "syrups",
     "Only vanilla comes sugar-free. Caramel and hazelnut please!"),
    ("Points for bringing a reusable cup", "Rewards", "cups",
     "Give 5 bonus stars when I bring my own cup; it rewards the habit we want."),
    ("Order-ahead pickup shelf with names", "In the store", "pickup",
     "Mobile orders get mixed up at the counter. A shelf with names or numbers would fix it."),
    ("Quieter music in the mornings", "In the store", "ambience",
     "Early mornings are for waking up slowly; the music is already at afternoon volume."),
    ("Dark mode please, the app is blinding", "Mobile app", "ui",
     "Same as others asked: the app needs a night theme. My eyes at 6am..."),
    ("Family rewards account", "Rewards", "family", "Pool stars with my partner so we reach rewards faster."),
]
COMMENTS = ["+1, this would make my mornings.", "Yes please! I'd use this every day.",
            "Would love this, but keep the old way as an option too.",
            "This is the one feature I miss from other apps.",
            "Agree. In my local store this is a real problem.", "Good idea, and it would help the staff too."]
S = Status
# Ideas the team has moved (by position in IDEAS): each walks the workflow step by step, as staff would.
JOURNEYS = {0: [S.UNDER_REVIEW, S.PLANNED], 2: [S.UNDER_REVIEW, S.PLANNED, S.IN_PROGRESS, S.LAUNCHED],
            4: [S.UNDER_REVIEW], 6: [S.UNDER_REVIEW, S.PLANNED, S.IN_PROGRESS], 13: [S.DECLINED]}
RESPONSES = {
    0: "Planned for the spring app release. The theme will follow your phone's light/dark setting.",
    2: "Live in every store since this week: **10 cents off** with your own cup, shown on the receipt.",
    13: "Thank you! Tipping rules differ by country and are handled with each store team, so we can't add it to "
        "the app everywhere yet. We're declining it for now and will come back to it.",
}


async def seed_demo(settings: Settings) -> bool:
    """Load the demo community into an empty database; returns False (and changes nothing) otherwise."""
    async with connect(settings.database_url):
        if await Idea.exists() or await User.exists():
            return False
        await _seed()
    return True


async def _seed() -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    password_hash = accounts.hash_password(PASSWORD)  # one argon2 hash for all demo people: seeding stays quick
    people = [await User.create(email=email, name=name, role=role, password_hash=password_hash, email_verified_at=now)
              for name, email, role in STAFF]
    for name in CUSTOMERS:
        email = name.split()[0].lower().replace("'", "") + "@example.com"
        people.append(await User.create(email=email, name=name, role=Role.CUSTOMER, password_hash=password_hash,
                                        email_verified_at=now))
    categories = {name: await Category.create(name=name, slug=_slug(name), position=i)
                  for i, name in enumerate(CATEGORIES)}
    for n, (title, category, tags, body) in enumerate(IDEAS):
        created = now - timedelta(hours=rng.randint(2, 24 * 40))
        idea = await Idea.create(title=title, body=body, body_html=render_markdown(body), author=people[3 + n % 12],
                                 category=categories[category], created_at=created)
        for name in tags.split():
            await IdeaTag.create(idea=idea, tag=(await Tag.get_or_create(name=name))[0])
        await _seed_votes(idea, people, rng)
        for author in rng.sample(people, rng.randint(0, 3)):
            await Comment.create(idea=idea, author=author, body=(text := rng.choice(COMMENTS)),
                                 body_html=render_markdown(text), is_official=Role(author.role).is_staff)
        idea.comment_count = await Comment.filter(idea=idea).count()
        await idea.save(update_fields=["comment_count"])
        await _follow_touched(idea, people[3 + n % 12])
        await _walk(idea, JOURNEYS.get(n, []), RESPONSES.get(n), people[0], now)


async def _walk(idea: Idea, steps: list[Status], response: str | None, staff: User, now: datetime) -> None:
    """Move an idea through the workflow like the team would, so its page shows a real Progress timeline."""
    for step in steps:
        await workflow.transition(await Idea.get(id=idea.id), staff, step)
    if response:
        await workflow.respond(await Idea.get(id=idea.id), staff, response)
    events = await IdeaEvent.filter(idea_id=idea.id).order_by("id")
    for k, event in enumerate(events, 1):  # spread over the idea's life, oldest first
        at = idea.created_at + (now - idea.created_at) * k / (len(events) + 1)
        await IdeaEvent.filter(id=event.id).update(created_at=at)


async def _follow_touched(idea: Idea, author: User) -> None:
    """As on the live site: the author, voters and commenters follow the idea."""
    voters: list[int] = await Vote.filter(idea=idea).values_list("user_id", flat=True)  # type: ignore[assignment]
    commenters: list[int] = await Comment.filter(idea=idea).values_list("author_id", flat=True)  # type: ignore[assignment]
    for user_id in sorted({author.id, *voters, *commenters}):
        await follows.follow_implicitly(user_id, idea.id)


async def _seed_votes(idea: Idea, people: list[User], rng: random.Random) -> None:
    voters = rng.sample(people, rng.randint(1, len(people)))
    for voter in voters:
        await Vote.create(idea=idea, user=voter, value=1 if rng.random() < 0.85 else -1)
    idea.upvotes = await Vote.filter(idea=idea, value=1).count()
    idea.downvotes = await Vote.filter(idea=idea, value=-1).count()
    idea.score = idea.upvotes - idea.downvotes
    idea.hot = hot_score(idea.score, idea.created_at)
    await idea.save(update_fields=["upvotes", "downvotes", "score", "hot"])


def _slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


async def create_user_cli(settings: Settings, email: str, name: str, password: str, role: str) -> int:
    """`ideaboard create-user`: same validation as the sign-up form, any role."""
    try:
        form = parse_signup({"email": email, "name": name, "password": password})
    except FormErrors as exc:
        for field, message in exc.errors.items():
            print(f"{field}: {message}", file=sys.stderr)
        return 2
    async with connect(settings.database_url):
        try:
            user = await accounts.create_user(form.email, form.name, form.password, Role(role))
        except accounts.EmailTaken:
            print(f"email: an account with {form.email} already exists.", file=sys.stderr)
            return 2
    print(f"Created {user.role} {user.email} (id {user.id}).")
    return 0
