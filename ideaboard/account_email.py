"""The emails an account gets (verify, already-have-an-account, reset, email change) and the links they carry."""

from __future__ import annotations

from ideaboard import i18n, mail, tokens
from ideaboard.i18n import gettext as _
from ideaboard.models import User
from ideaboard.settings import Settings
from ideaboard.urls import urls


def _url(settings: Settings, path: str) -> str:
    return settings.base_url.rstrip("/") + path


def _context(user: User, **extra: str) -> dict[str, str]:
    return {"name": user.name, **extra}


def verification_email(settings: Settings, user: User) -> mail.Email:
    with i18n.speaking(i18n.of_person(user, otherwise=None)):  # theirs, else the asking request's
        token = tokens.make(settings.secret_key, tokens.VERIFY, user, tokens.fingerprint(user.email))
        link = _url(settings, urls.verify_email(token))
        return mail.compose(settings, user.email, _("Confirm your email for %(site)s", site=settings.site_name),
                            "verify_email",
                            _context(user, link=link))


def account_exists_email(settings: Settings, user: User) -> mail.Email:
    """Someone signed up with an address that has an account: tell its owner, not the person signing up."""
    with i18n.speaking(i18n.of_person(user, otherwise=None)):  # theirs, else the asking request's
        return mail.compose(settings, user.email, _("You already have a %(site)s account", site=settings.site_name),
                            "account_exists",
                            _context(user, link=reset_link(settings, user), login=_url(settings, urls.login())))


def reset_link(settings: Settings, user: User) -> str:
    token = tokens.make(settings.secret_key, tokens.RESET, user, tokens.password_fingerprint(user))
    return _url(settings, urls.password_reset(token))


def reset_email(settings: Settings, user: User) -> mail.Email:
    with i18n.speaking(i18n.of_person(user, otherwise=None)):  # theirs, else the asking request's
        return mail.compose(settings, user.email, _("Reset your %(site)s password", site=settings.site_name),
                            "password_reset",
                            _context(user, link=reset_link(settings, user)))


def email_change_email(settings: Settings, user: User, new_email: str) -> mail.Email:
    """Sent to the new address: the change happens only when its owner follows the link."""
    with i18n.speaking(i18n.of_person(user, otherwise=None)):  # theirs, else the asking request's
        token = tokens.make(settings.secret_key, tokens.EMAIL_CHANGE, user, tokens.fingerprint(user.email), e=new_email)
        link = _url(settings, urls.settings_email_confirm(token))
        return mail.compose(settings, new_email, _("Confirm your new email for %(site)s", site=settings.site_name),
                            "email_change",
                            _context(user, link=link, new_email=new_email))


def email_changed_notice(settings: Settings, user: User, old_email: str) -> mail.Email:
    """Sent to the old address once the change is done, so a hijack does not go unnoticed."""
    with i18n.speaking(i18n.of_person(user, otherwise=None)):  # theirs, else the asking request's
        return mail.compose(settings, old_email, _("Your %(site)s email was changed", site=settings.site_name),
                            "email_changed",
                            _context(user, new_email=user.email, forgot=_url(settings, urls.forgot())))


async def user_to_verify(settings: Settings, token: str) -> User:
    """The account a verification link is for, while its address is still the one the link was sent to."""
    data = tokens.read(settings.secret_key, tokens.VERIFY, token)
    user = await User.get_or_none(id=data["u"], is_active=True)
    if user is None:
        raise tokens.InvalidToken("This link is not valid any more.")
    tokens.check_state(data, tokens.fingerprint(user.email))
    return user


async def user_to_reset(settings: Settings, token: str) -> User:
    """The account a reset link is for, until its password changes (so each link works once, for an hour)."""
    data = tokens.read(settings.secret_key, tokens.RESET, token)
    user = await User.get_or_none(id=data["u"], is_active=True)
    if user is None:
        raise tokens.InvalidToken("This link is not valid any more.")
    tokens.check_state(data, tokens.password_fingerprint(user))
    return user


async def email_change_of(settings: Settings, token: str) -> tuple[User, str]:
    """(account, new address) of an email-change link, until the account's address changes."""
    data = tokens.read(settings.secret_key, tokens.EMAIL_CHANGE, token)
    user = await User.get_or_none(id=data["u"], is_active=True)
    if user is None or not isinstance(data.get("e"), str):
        raise tokens.InvalidToken("This link is not valid any more.")
    tokens.check_state(data, tokens.fingerprint(user.email))
    return user, data["e"]
