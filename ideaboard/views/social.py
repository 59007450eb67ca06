"""Staff pages for X: the social signal console, turning a tweet into an idea, sharing launched ideas.

Mounted under /staff (staff.py), whose RequireRole middleware is the access check.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import charts, htmx, ideas, inputs, listening, share, social
from ideaboard.accounts import VerifyFirst
from ideaboard.auth import staff_user
from ideaboard.categories import list_categories
from ideaboard.forms import FormErrors, parse_idea
from ideaboard.i18n import gettext as _
from ideaboard.models import Idea, Status, Tweet
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import current_user, form_data, not_found, path_id, see_other

VOLUME_DAYS = 14


async def tweets_page(request: Request) -> Response:
    """Feature status, tweet volume per idea over two weeks, ideas ranked by it, and the newest tweets."""
    dates, volumes = await social.tweet_volume(VOLUME_DAYS)
    usage = await listening.usage(request.state.settings)
    totals = [(f"{d:%b %d}", sum(v.days[n] for v in volumes)) for n, d in enumerate(dates)]
    context = {
        "section": "tweets",
        "mode": social.feature_mode(request.state.settings),
        "usage": usage,
        "errors": [c for c in usage.cursors if c.last_error],
        "volumes": volumes,
        "trend": charts.line_chart(totals, title=_("Related tweets per day, last %(days)s days", days=VOLUME_DAYS)),
        "ranking": charts.bar_chart([(v.idea.title, v.total) for v in volumes], title=_("Related tweets per idea"),
                                    unit=" " + _("tweets")),
        "sparklines": {v.idea.id: charts.line_chart([(f"{d:%b %d}", c) for d, c in zip(dates, v.days, strict=True)],
                                                    title=_("Tweets per day: %(title)s", title=v.idea.title),
                                                    width=220, height=60)
                       for v in volumes},
        "tweets": await social.latest_tweets(),
    }
    return render(request, "staff/tweets.html", context)


async def tweet_to_idea(request: Request) -> Response:
    """A form pre-filled from a stored tweet; publishing creates the idea, credited to the tweet's author."""
    tweet_id = request.path_params["tweet_id"]
    tweet = await Tweet.get_or_none(id=tweet_id) if inputs.is_digits(tweet_id) else None
    if tweet is None:
        raise not_found("tweet")
    if made := await Idea.filter(source_tweet_id=tweet.id).order_by("id").first():  # once per tweet (issue 14)
        flash(request, _("This tweet already became idea #%(id)s, “%(title)s”.", id=made.id, title=made.title), "error")
        return see_other(urls.staff_idea(made.id))
    categories = await list_categories()
    values = {"title": social.tweet_title(tweet.text), "body": tweet.text, "category": "", "tags": ""}
    context = {"section": "tweets", "tweet": tweet, "categories": categories, "values": values, "errors": {}}
    if request.method == "GET":
        return render(request, "staff/tweet_to_idea.html", context)
    data = await form_data(request)
    try:
        idea = await social.idea_from_tweet(tweet, staff_user(request), parse_idea(data, {c.id for c in categories}))
    except FormErrors as exc:
        context.update(values=exc.values, errors=exc.errors)
        return render(request, "staff/tweet_to_idea.html", context, status_code=422)
    except VerifyFirst as exc:
        context.update(values=data, errors={"title": str(exc)})
        return render(request, "staff/tweet_to_idea.html", context, status_code=403)
    flash(request, _("Published as an idea, credited to @%(author)s on X.",
                             author=tweet.author_username or tweet.author_id))
    return see_other(urls.idea(idea.id))


async def share_page(request: Request) -> Response:
    """The 'Share on X' panel of a launched idea: pre-filled post, live counter, card preview, post or intent link."""
    idea = await _idea(request)
    settings = request.state.settings
    refusal = social.share_refusal(idea)
    if request.method == "GET":
        if refusal:  # nothing pre-filled: no internal title or link on its way to a public post
            return render(request, "staff/share.html", _share_context(idea, settings, "", refusal), status_code=409)
        text = await social.launch_post(idea, settings) if idea.status == Status.LAUNCHED else ""
        return render(request, "staff/share.html", _share_context(idea, settings, text))
    text = (await form_data(request)).get("text", "")
    try:
        await social.announce(idea, staff_user(request), text, settings)
    except social.ShareError as exc:
        status = 409 if refusal or idea.status != Status.LAUNCHED else 422
        return render(request, "staff/share.html", _share_context(idea, settings, text, str(exc)), status_code=status)
    flash(request, _("Posted on X. The idea page now links to the post."))
    return see_other(urls.staff_idea_share(idea.id))


async def share_preview(request: Request) -> Response:
    """The live counter (htmx); without JavaScript the page itself is the answer."""
    idea = await _idea(request)
    if not htmx.is_request(request):
        return see_other(urls.staff_idea_share(idea.id))
    text = (await form_data(request)).get("text", "")
    return render(request, "staff/share.html", _share_context(idea, request.state.settings, text),
                  block="post_counter")


async def _idea(request: Request):
    idea = await ideas.get_idea(path_id(request), current_user(request))
    if idea is None:
        raise not_found("idea")
    return idea


def _share_context(idea, settings, text: str, error: str = "") -> dict:
    """What the share panel shows: the text, its weighted length, the card and how posting will happen."""
    length = share.weighted_length(text) if text else 0
    return {
        "section": "queue", "idea": idea, "text": text, "error": error, "length": length,
        "max_length": share.MAX_POST_LENGTH, "card": social.card(idea, settings),
        "can_post": bool(settings.x_user_token), "intent": share.intent_url(text) if text else "",
        "launched": idea.status == Status.LAUNCHED, "refusal": social.share_refusal(idea),
    }
