"""Images on ideas and comments: only real JPEG, PNG, WebP or GIF pictures, re-encoded so nothing else survives.

An upload is refused unless its name ends in one of the four extensions, Pillow reads it as that same format, and it
is within MAX_UPLOAD_BYTES and MAX_PIXELS. What is stored is never the uploaded bytes: the decoded pixels are
encoded again (first frame of a GIF; no EXIF, ICC, comments or trailing data, so an HTML or script "polyglot" is
gone), at most MAX_SIDE px on a side, with a THUMB_SIDE px thumbnail beside it, as `<key>.<ext>` in the picture
store (ideaboard/picture_store.py: the data dir, or an S3-compatible bucket); views serve them with their own content
type, `nosniff` and a `Content-Disposition` (ideaboard/views/images.py).
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass

from PIL import Image as Pillow
from PIL import UnidentifiedImageError

from ideaboard import audit
from ideaboard.comments import editable
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.models import Campaign, Comment, Idea, Image, ImageFormat, Role, User
from ideaboard.picture_store import PictureStore
from ideaboard.urls import urls

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 24_000_000  # a 6000 x 4000 photo; decompression bombs are refused before decoding
MAX_SIDE = 2048
THUMB_SIDE = 480
EXTENSIONS = {"jpg": ImageFormat.JPEG, "jpeg": ImageFormat.JPEG, "png": ImageFormat.PNG, "webp": ImageFormat.WEBP,
              "gif": ImageFormat.GIF}
PILLOW_NAMES = {"JPEG": ImageFormat.JPEG, "PNG": ImageFormat.PNG, "WEBP": ImageFormat.WEBP, "GIF": ImageFormat.GIF}
CONTENT_TYPES = {ImageFormat.JPEG: "image/jpeg", ImageFormat.PNG: "image/png", ImageFormat.WEBP: "image/webp",
                 ImageFormat.GIF: "image/gif"}
SUFFIX = {ImageFormat.JPEG: "jpg", ImageFormat.PNG: "png", ImageFormat.WEBP: "webp", ImageFormat.GIF: "gif"}


class BadImage(ValueError):
    """Why an upload was refused, in words for the person who sent it."""


@dataclass(frozen=True)
class Encoded:
    format: ImageFormat
    width: int
    height: int
    full: bytes
    thumb: bytes


def clean(filename: str, data: bytes) -> Encoded:
    """The upload checked and re-encoded, or BadImage."""
    if not data:
        raise BadImage("Choose an image file to upload.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadImage(f"That image is too large: the limit is {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    claimed = EXTENSIONS.get(filename.rsplit(".", 1)[-1].lower() if "." in filename else "")
    if claimed is None:
        raise BadImage("Only JPEG, PNG, WebP or GIF images (.jpg, .png, .webp, .gif) can be uploaded.")
    picture = _open(data)
    found = PILLOW_NAMES.get(picture.format or "")
    if found is None or found is not claimed:
        raise BadImage("That file is not the image its name says it is: upload a real JPEG, PNG, WebP or GIF.")
    return _encode(picture, found)


def _open(data: bytes) -> Pillow.Image:
    """Decode fully (a truncated or corrupt file fails here), refusing more than MAX_PIXELS."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Pillow.DecompressionBombWarning)
            picture = Pillow.open(io.BytesIO(data))
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise BadImage(f"That image has too many pixels ({width} x {height}); the limit is "
                               f"{MAX_PIXELS // 1_000_000} megapixels.")
            picture.load()
    except BadImage:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Pillow.DecompressionBombError,
            Pillow.DecompressionBombWarning) as exc:
        raise BadImage("That file could not be read as an image.") from exc
    return picture


def _encode(picture: Pillow.Image, fmt: ImageFormat) -> Encoded:
    """Fresh pixels in a fresh file: no metadata, no trailing bytes, no animation."""
    mode = "RGB" if fmt is ImageFormat.JPEG else "RGBA"
    pixels = picture.convert(mode)  # a GIF's first frame; palette and alpha kept as RGBA
    bare = Pillow.new(mode, pixels.size)
    bare.paste(pixels)
    bare.thumbnail((MAX_SIDE, MAX_SIDE))
    small = bare.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return Encoded(fmt, bare.width, bare.height, _save(bare, fmt), _save(small, fmt))


def _save(picture: Pillow.Image, fmt: ImageFormat) -> bytes:
    out = io.BytesIO()
    if fmt is ImageFormat.JPEG:
        picture.save(out, "JPEG", quality=85, optimize=True)
    elif fmt is ImageFormat.WEBP:
        picture.save(out, "WEBP", quality=85)
    elif fmt is ImageFormat.GIF:
        picture.convert("P", palette=Pillow.Palette.ADAPTIVE).save(out, "GIF")
    else:
        picture.save(out, "PNG", optimize=True)
    return out.getvalue()


def file_name(image: Image, thumb: bool = False) -> str:
    return f"{image.key}{'.thumb' if thumb else ''}.{SUFFIX[ImageFormat(image.format)]}"


async def store(pictures: PictureStore, owner: User, encoded: Encoded, *, idea: Idea | None = None,
                comment: Comment | None = None, campaign: Campaign | None = None) -> Image:
    """Write the files, then the row (a file without a row is harmless; a row without its file is not)."""
    image = Image(key=secrets.token_hex(16), owner=owner, idea=idea, comment=comment, campaign=campaign,
                  format=encoded.format, width=encoded.width, height=encoded.height, size=len(encoded.full))
    content_type = CONTENT_TYPES[encoded.format]
    await pictures.put(file_name(image), encoded.full, content_type)
    await pictures.put(file_name(image, thumb=True), encoded.thumb, content_type)
    await image.save()
    return image


async def add_to_idea(pictures: PictureStore, idea: Idea, user: User, filename: str, data: bytes) -> Image:
    """The idea's picture (its author's or the team's), also its large card on X."""
    if idea.author_id != user.id and not _is_staff(user):
        raise NotAllowed(_("Only the idea's author can add a picture to it."))
    return await attach_to_idea(pictures, idea, user, clean(filename, data))


async def attach_to_idea(pictures: PictureStore, idea: Idea, user: User, encoded: Encoded) -> Image:
    """A checked picture onto the idea (as it is posted, or later from its page)."""
    image = await store(pictures, user, encoded, idea=idea)
    await Idea.filter(id=idea.id).update(image_url=urls.image(image.key))
    idea.image_url = urls.image(image.key)
    return image


async def add_to_campaign(pictures: PictureStore, campaign: Campaign, user: User, filename: str, data: bytes) -> Image:
    """The picture of a campaign's brief (the team's), on its page and its card; audited."""
    if not _is_staff(user):
        raise NotAllowed(_("Only the team can add a picture to a campaign."))
    image = await store(pictures, user, clean(filename, data), campaign=campaign)
    campaign.image_url = urls.image(image.key)
    await Campaign.filter(id=campaign.id).update(image_url=campaign.image_url)
    await audit.record(user, "campaign.image", "campaign", campaign.id, image=image.key)
    return image


async def add_to_comment(pictures: PictureStore, comment: Comment, user: User, filename: str, data: bytes) -> Image:
    """A picture on the author's own comment, while it can still be edited."""
    if not editable(comment, user):
        raise NotAllowed(_("You can add a picture to your own comment for 15 minutes after posting it."))
    return await store(pictures, user, clean(filename, data), comment=comment)


def _is_staff(user: User) -> bool:
    return Role(user.role).is_staff
