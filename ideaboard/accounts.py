"""Accounts: sign-up, password checks (argon2id), email verification and the employee rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError

from ideaboard import i18n, names
from ideaboard.i18n import lazy_gettext
from ideaboard.models import Role, User

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _hasher.hash("timing-equaliser")


class EmailTaken(Exception):
    """Someone already has an account with this address."""


class VerifyFirst(Exception):
    """An unverified account tried to post, vote or comment: it must confirm its email address first."""

    def __init__(self) -> None:
        super().__init__("Please confirm your email address first: we sent you a link when you signed up.")


class NameImitatesStaff(Exception):
    """The display name reads exactly like a team member's."""

    message = "That name belongs to a member of our team; choose another (for example, add your surname)."


@dataclass(frozen=True)
class SignUp:
    email: str
    name: str
    password: str


@dataclass(frozen=True)
class SignUpResult:
    user: User
    created: bool  # False: the address already had an account (the visitor is told nothing different)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def is_company_email(email: str, employee_domains: tuple[str, ...]) -> bool:
    return email.rsplit("@", 1)[-1].lower() in employee_domains


def role_for_email(email: str, employee_domains: tuple[str, ...]) -> Role:
    """A *verified* company address makes an employee; anything else a customer."""
    return Role.EMPLOYEE if is_company_email(email, employee_domains) else Role.CUSTOMER


def is_verified(user: User) -> bool:
    return user.email_verified_at is not None


def require_verified(user: User) -> None:
    """Posting, voting and commenting need a confirmed address (reading never does)."""
    if user.email_verified_at is None:
        raise VerifyFirst()


def role_after_email(user: User, employee_domains: tuple[str, ...]) -> Role:
    """Employee exactly while a company address is verified; staff and admins keep the role an admin gave them."""
    if Role(user.role).is_staff:
        return Role(user.role)
    if is_verified(user) and is_company_email(user.email, employee_domains):
        return Role.EMPLOYEE
    return Role.CUSTOMER


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def create_user(email: str, name: str, password: str, role: Role, *, verified: bool = True) -> User:
    """Create an account (operators' and tests' accounts are verified); raises EmailTaken when the address is in use."""
    try:
        return await User.create(email=normalize_email(email), name=name.strip(), password_hash=hash_password(password),
                                 role=role, email_verified_at=datetime.now(UTC) if verified else None)
    except IntegrityError as exc:
        raise EmailTaken(email) from exc


async def sign_up(form: SignUp) -> SignUpResult:
    """A new, unverified customer; an address already in use changes nothing (the inbox owner is told instead)."""
    if await names.imitates_staff(form.name):
        raise NameImitatesStaff(form.name)
    existing = await User.get_or_none(email=normalize_email(form.email))
    if existing is not None:
        _hasher.hash(form.password)  # the same work as a real sign-up, so timing tells nothing either
        return SignUpResult(existing, created=False)
    try:
        user = await create_user(form.email, form.name, form.password, Role.CUSTOMER, verified=False)
    except EmailTaken:  # a concurrent sign-up with the same address won the race
        return SignUpResult(await User.get(email=normalize_email(form.email)), created=False)
    return SignUpResult(user, created=True)


async def mark_verified(user: User, employee_domains: tuple[str, ...]) -> bool:
    """The person followed a link sent to their address: verified, and an employee if it is a company one.

    Returns True when this changed anything (a second click of the same link does nothing)."""
    if user.email_verified_at is not None and user.role == role_after_email(user, employee_domains):
        return False
    user.email_verified_at = user.email_verified_at or datetime.now(UTC)
    user.role = role_after_email(user, employee_domains)
    await user.save(update_fields=["email_verified_at", "role"])
    return True


async def change_email(user: User, new_email: str, employee_domains: tuple[str, ...]) -> None:
    """Switch to an address the person just proved they read; the employee role follows the new address."""
    user.email = normalize_email(new_email)
    user.email_verified_at = datetime.now(UTC)
    user.role = role_after_email(user, employee_domains)
    try:
        await user.save(update_fields=["email", "email_verified_at", "role"])
    except IntegrityError as exc:
        raise EmailTaken(new_email) from exc


async def email_in_use(email: str) -> bool:
    return await User.filter(email=normalize_email(email)).exists()


async def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    await user.save(update_fields=["password_hash"])


THEMES = {"system": lazy_gettext("As on my device"), "light": lazy_gettext("Light"), "dark": lazy_gettext("Dark")}


async def set_theme(user: User, theme: str) -> None:
    """The person's colour theme on every page they open (visitors get their device's)."""
    if theme not in THEMES:
        raise ValueError(theme)
    user.theme = theme
    await user.save(update_fields=["theme"])


async def set_locale(user: User, locale: str | None) -> None:
    """The language of every page and email the person gets; None follows the browser's Accept-Language."""
    if locale is not None and locale not in i18n.LOCALES:
        raise ValueError(locale)
    user.locale = locale
    await user.save(update_fields=["locale"])


async def remember_locale(user: User, locale: str) -> None:
    """The language of a member's latest request, so emails find them in it when they never chose one; written only
    when it changed (LocaleMiddleware calls this on every request)."""
    if user.last_locale == locale:
        return
    user.last_locale = locale
    await User.filter(id=user.id).update(last_locale=locale)


async def set_name(user: User, name: str) -> None:
    """A new display name, unless it is exactly a staff member's (someone else's)."""
    if await names.imitates_staff(name, person_id=user.id):
        raise NameImitatesStaff(name)
    user.name = name
    await user.save(update_fields=["name"])


def password_matches(user: User, password: str) -> bool:
    """For forms that ask for the current password (change password, delete account)."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


EMAIL_MAX = 254  # RFC 5321, and the column's length


async def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work either way, so no user enumeration by timing)."""
    email = normalize_email(email)
    fits = len(email) <= EMAIL_MAX  # no account has a longer one (and the ORM refuses to look it up)
    user = await User.get_or_none(email=email, is_active=True) if fits else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        await user.save(update_fields=["password_hash"])
    return user
