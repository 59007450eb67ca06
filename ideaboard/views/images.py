"""Image uploads (plain multipart forms; drag-and-drop only fills the same file input) and serving them safely.

A picture is served only to those who may see what it is on (the idea's rules; a hidden comment's only to staff),
with its own content type, `nosniff`, `Content-Disposition` and a sandboxing CSP, so it never runs as a page.
"""

from __future__ import annotations

import re

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ideaboard import campaigns, ideas, images, picture_store
from ideaboard.auth import staff_user
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.models import Campaign, Comment, Image, ImageFormat, Role, User
from ideaboard.templating import flash
from ideaboard.urls import urls
from ideaboard.views.common import current_user, login_redirect, not_found, path_id, see_other, visible_idea

KEY = re.compile(r"[0-9a-f]{32}")


async def serve(request: Request) -> Response:
    """The picture (or its thumbnail, `/thumb`) as an image and nothing else."""
    key = request.path_params["key"]
    image = await Image.get_or_none(key=key) if KEY.fullmatch(key) else None
    if image is None or not await _may_see(image, current_user(request)):
        raise not_found("image")
    name = images.file_name(image, thumb=request.url.path.endswith("/thumb"))
    try:
        data = await picture_store.for_settings(request.state.settings).get(name)
    except picture_store.StoreDown as exc:
        raise HTTPException(503, "This picture cannot be shown just now; try again in a moment.") from exc
    if data is None:
        raise not_found("image")
    fmt = ImageFormat(image.format)
    return Response(data, media_type=images.CONTENT_TYPES[fmt], headers={
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="{image.key}.{images.SUFFIX[fmt]}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
    })


async def _may_see(image: Image, viewer: User | None) -> bool:
    if image.comment_id is not None:
        comment = await Comment.get_or_none(id=image.comment_id)
        if comment is None or (comment.hidden and not (viewer and Role(viewer.role).is_staff)):
            return False
        return await ideas.get_idea(comment.idea_id, viewer) is not None
    if image.idea_id is not None:
        return await ideas.get_idea(image.idea_id, viewer) is not None
    if image.campaign_id is not None:
        campaign = await Campaign.get_or_none(id=image.campaign_id)
        return campaign is not None and campaigns.may_see(campaign, viewer)
    return viewer is not None and viewer.id == image.owner_id


async def upload_to_idea(request: Request) -> Response:
    """The idea's picture, from its page's upload form."""
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request, urls.idea(path_id(request)))
    idea = await visible_idea(request, viewer)
    filename, data = await _file(request)
    try:
        await images.add_to_idea(_pictures(request), idea, viewer, filename, data)
    except (images.BadImage, NotAllowed, picture_store.StoreDown) as exc:
        flash(request, str(exc), "error")
        return see_other(urls.idea(idea.id) + "#idea-image")
    flash(request, _("Your picture is on the idea."))
    return see_other(urls.idea(idea.id) + "#idea-image")


async def upload_to_campaign(request: Request) -> Response:
    """The brief's picture, from the staff campaign page."""
    campaign = await Campaign.get_or_none(id=path_id(request, "campaign_id"))
    if campaign is None:
        raise not_found("campaign")
    filename, data = await _file(request)
    back_to = urls.staff_campaign(campaign.id) + "#campaign-image"
    try:
        await images.add_to_campaign(_pictures(request), campaign, staff_user(request), filename, data)
    except (images.BadImage, NotAllowed, picture_store.StoreDown) as exc:
        flash(request, str(exc), "error")
        return see_other(back_to)
    flash(request, _("The picture is on the campaign's brief."))
    return see_other(back_to)


async def upload_to_comment(request: Request) -> Response:
    """A picture on the author's comment (from the comment's edit page, within the edit window)."""
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    comment = await Comment.get_or_none(id=path_id(request, "comment_id"), author_id=viewer.id)
    if comment is None:
        raise not_found("comment")
    filename, data = await _file(request)
    try:
        await images.add_to_comment(_pictures(request), comment, viewer, filename, data)
    except (images.BadImage, NotAllowed, picture_store.StoreDown) as exc:
        flash(request, str(exc), "error")
        return see_other(urls.comment_edit(comment.id))
    flash(request, _("Your picture is on the comment."))
    return see_other(urls.idea(comment.idea_id) + f"#comment-{comment.id}")


def _pictures(request: Request) -> picture_store.PictureStore:
    return picture_store.for_settings(request.state.settings)


async def _file(request: Request) -> tuple[str, bytes]:
    """The one `image` file of a multipart form (nothing for any other body)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return "", b""
    try:
        async with request.form(max_files=1, max_fields=5, max_part_size=images.MAX_UPLOAD_BYTES + 1) as form:
            upload = form.get("image")
            if not isinstance(upload, UploadFile):
                return "", b""
            return upload.filename or "", await upload.read(images.MAX_UPLOAD_BYTES + 1)
    except HTTPException as exc:  # Starlette's own limits
        raise HTTPException(400, "That upload was not understood; choose one image and send it again.") from exc
