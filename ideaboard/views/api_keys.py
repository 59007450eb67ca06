"""Admin: the API's service keys under /staff/admin/api-keys (the /staff/admin Mount lets only admins in)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import api_keys
from ideaboard.auth import staff_user
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.models import ApiKey, ApiScope, User
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import form_data, form_list, not_found, path_id, see_other


async def api_keys_page(request: Request) -> Response:
    """Every key with whom it acts as and when it was last used; POST makes one and shows its token once."""
    admin = staff_user(request)
    values: dict[str, str] = {}
    error, created = "", None
    if request.method == "POST":
        data = await form_data(request)
        scopes = await form_list(request, "scope")
        values = {**data, "scopes": " ".join(scopes)}
        person = await User.get_or_none(email=data.get("user", "").strip().lower()[:254])
        try:
            if person is None:
                raise NotAllowed(_("Nobody has that email address: enter the email of the person the key acts as."))
            created = await api_keys.create_key(admin, person, data.get("name", ""), scopes)
            values = {}
        except NotAllowed as exc:
            error = str(exc)
    context = {"keys": await api_keys.list_keys(), "created": created, "error": error, "values": values,
               "scopes": list(ApiScope), "scope_help": api_keys.SCOPE_HELP, "section": "admin"}
    return render(request, "staff/api_keys.html", context, status_code=422 if error else 200,
                  headers={"Cache-Control": "no-store"})


async def revoke_key(request: Request) -> Response:
    key = await ApiKey.get_or_none(id=path_id(request, "key_id"))
    if key is None:
        raise not_found("key")
    if await api_keys.revoke_key(staff_user(request), key):
        flash(request, _("Revoked “%(name)s”: requests with it are refused from now on.", name=key.name))
    return see_other(urls.admin_api_keys())
