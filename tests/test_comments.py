"""Comments: markdown, oldest first, the team visibly badged, authors can delete their own."""

from bs4 import BeautifulSoup

from ideaboard.comments import add_comment
from ideaboard.models import Comment, Idea


async def comment_texts(client, idea_id: int) -> list[str]:
    soup = BeautifulSoup((await client.get(f"/ideas/{idea_id}")).text, "html.parser")
    return [c.select_one(".prose").text.strip() for c in soup.select("article.comment")]


async def test_comments_show_oldest_first_with_markdown(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    await add_comment(idea, bob, "First!")
    await add_comment(idea, alice, "Thanks, *Bob*.")
    client = await browser_for()
    assert await comment_texts(client, idea.id) == ["First!", "Thanks, Bob."]
    soup = BeautifulSoup((await client.get(f"/ideas/{idea.id}")).text, "html.parser")
    assert soup.select("article.comment")[1].select_one("em").text == "Bob"
    assert soup.select_one("#comments h2").text == "2 comments"


async def test_team_comments_are_badged_as_official(browser_for, alice, sam, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(sam)
    await client.post(f"/ideas/{idea.id}/comments", {"body": "We are looking into this."})
    soup = BeautifulSoup((await client.get(f"/ideas/{idea.id}")).text, "html.parser")
    official = soup.select_one("article.comment.official")
    assert official.select_one(".badge-staff").text == "Team"


async def test_commenting_with_htmx_returns_the_updated_comment_section(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    response = await client.post(f"/ideas/{idea.id}/comments", {"body": "Great idea"}, htmx=True)
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.html is None and soup.select_one("#comments h2").text == "1 comment"
    assert soup.select_one("article.comment .prose").text.strip() == "Great idea"


async def test_an_empty_comment_is_explained_and_nothing_is_posted(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    response = await client.post(f"/ideas/{idea.id}/comments", {"body": "   "}, htmx=True)
    assert response.status_code == 422
    assert "Write something" in BeautifulSoup(response.text, "html.parser").select_one("#body-error").text
    assert await Comment.all().count() == 0


async def test_a_too_long_comment_keeps_the_text_for_the_author_to_shorten(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    long_text = "word " * 1200
    response = await client.post(f"/ideas/{idea.id}/comments", {"body": long_text})
    assert response.status_code == 422
    assert BeautifulSoup(response.text, "html.parser").select_one("#comment-body").text.strip() == long_text.strip()


async def test_authors_delete_their_own_comments_but_not_others(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    mine = await add_comment(idea, bob, "Oops, wrong idea")
    theirs = await add_comment(idea, alice, "Author's note")
    client = await browser_for(bob)
    await client.post(f"/comments/{theirs.id}/delete")
    assert await Comment.filter(id=theirs.id).exists()
    await client.post(f"/comments/{mine.id}/delete")
    assert not await Comment.filter(id=mine.id).exists()
    assert (await Idea.get(id=idea.id)).comment_count == 1
    assert await comment_texts(client, idea.id) == ["Author's note"]


async def test_visitors_are_invited_to_log_in_to_comment(visitor, alice, make_idea):
    idea = await make_idea(alice)
    page = await visitor.get(f"/ideas/{idea.id}")
    assert "to comment and vote" in page.text and "comment-form" not in page.text
    response = await visitor.post(f"/ideas/{idea.id}/comments", {"body": "drive-by"})
    assert response.status_code == 303 and await Comment.all().count() == 0


async def test_a_long_conversation_shows_the_latest_comments_and_links_back_to_earlier_ones(
        browser_for, alice, bob, make_idea, monkeypatch):
    from ideaboard import comments

    monkeypatch.setattr(comments, "COMMENTS_PER_PAGE", 3)
    idea = await make_idea(alice)
    for n in range(1, 8):
        await add_comment(idea, bob, f"Comment {n}")
    some = await Comment.filter(body__in=["Comment 3", "Comment 4", "Comment 5"]).first()
    await Comment.filter(body__in=["Comment 3", "Comment 4", "Comment 5"]).update(created_at=some.created_at)  # a tie
    client = await browser_for()
    seen, path = [], f"/ideas/{idea.id}"
    while path:
        soup = BeautifulSoup((await client.get(path)).text, "html.parser")
        seen.append([c.select_one(".prose").text.strip() for c in soup.select("article.comment")])
        earlier = soup.select_one(".more-comments a[rel=prev]")
        path = earlier["href"] if earlier else None
    assert seen == [["Comment 5", "Comment 6", "Comment 7"], ["Comment 2", "Comment 3", "Comment 4"], ["Comment 1"]]
    assert soup.select_one("#comments h2").text == "7 comments"
    assert soup.select_one(".more-comments a[rel=next]")["href"] == f"/ideas/{idea.id}#comments"


async def test_an_idea_page_lists_comments_as_the_orm_loads_them(alice, sam, make_idea):
    from ideaboard.comments import list_comments

    idea = await make_idea(alice)
    await add_comment(idea, sam, "We are looking into this.")
    await add_comment(idea, alice, "Thanks, *Sam*.")
    shown = (await list_comments(idea)).items
    stored = await Comment.filter(idea_id=idea.id).order_by("created_at", "id").select_related("author")
    fields = list(Comment._meta.db_fields)
    assert [[getattr(c, f) for f in fields] for c in shown] == [[getattr(c, f) for f in fields] for c in stored]
    assert [(c.author.name, c.author.role, c.is_official) for c in shown] == [
        ("Sam Rivera", "staff", True), ("Alice Martin", "customer", False)]
