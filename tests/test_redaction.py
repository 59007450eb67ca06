"""Staff edits for privacy: Alice put her phone number in an idea and Bob his address in a comment; Sam takes them out.
The public pages show the edited text; the audit log keeps the originals for the team."""

from __future__ import annotations

from ideaboard.comments import add_comment
from ideaboard.models import AuditEntry, Comment, Idea
from ideaboard.urls import urls


async def test_sam_redacts_an_idea_and_a_comment_keeping_the_originals_in_the_audit_log(browser_for, alice, bob, sam,
                                                                                      make_idea):
    idea = await make_idea(alice, "Oat milk please, call 555-0199", "My number is 555-0199.")
    comment = await add_comment(idea, bob, "Deliver to 12 Rue Oberkampf, Paris")
    staff = await browser_for(sam)
    done = await staff.post(urls.staff_idea_redact(idea.id), {"title": "Oat milk please",
                                                              "body": "My number is [removed]."})
    assert done.status_code == 303
    page = await (await browser_for()).get(urls.idea(idea.id))
    assert "555-0199" not in page.text and "[removed]" in page.text
    entry = await AuditEntry.get(action="idea.redact")
    assert entry.actor_id == sam.id and entry.detail["original_title"] == "Oat milk please, call 555-0199"
    assert entry.detail["original_body"] == "My number is 555-0199."

    form = await staff.get(urls.staff_comment_redact(comment.id))
    assert form.status_code == 200 and "Rue Oberkampf" in form.text
    await staff.post(urls.staff_comment_redact(comment.id), {"body": "Deliver to [address removed]"})
    assert (await Comment.get(id=comment.id)).body == "Deliver to [address removed]"
    assert "Oberkampf" not in (await (await browser_for()).get(urls.idea(idea.id))).text
    assert (await AuditEntry.get(action="comment.redact")).detail["original_body"] == \
        "Deliver to 12 Rue Oberkampf, Paris"
    assert "Oberkampf" in (await staff.get(urls.staff_audit())).text  # the team can still read the original


async def test_customers_cannot_edit_others_and_bad_edits_keep_the_text(browser_for, alice, bob, sam, make_idea):
    idea = await make_idea(alice, "Oat milk in every store")
    comment = await add_comment(idea, alice, "Please")
    assert (await (await browser_for(bob)).post(urls.staff_idea_redact(idea.id), {"title": "Hacked title"})
            ).status_code in (403, 404)
    assert (await (await browser_for(bob)).post(urls.staff_comment_redact(comment.id), {"body": "x"})
            ).status_code in (403, 404)
    short = await (await browser_for(sam)).post(urls.staff_idea_redact(idea.id), {"title": "Oat", "body": ""})
    assert short.status_code == 422 and "The title needs" in short.text
    assert (await Idea.get(id=idea.id)).title == "Oat milk in every store"
    assert not await AuditEntry.filter(action__endswith=".redact").exists()
