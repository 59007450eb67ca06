"""Accounts: sign-up, password checks (argon2id) and the employee rule."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError

from ideaboard import names
from ideaboard.models import Role, User

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _hasher.hash("timing-equaliser")


class EmailTaken(Exception):
    """Someone already signed up with this address."""


class NameImitatesStaff(Exception):
    """The display name reads exactly like a team member's."""

    message = "That name belongs to a member of our team; choose another (for example, add your surname)."


@dataclass(frozen=True)
class SignUp:
    email: str
    name: str
    password: str


def role_for_email(email: str, employee_domains: tuple[str, ...]) -> Role:
    """Whoever signs up with a company address is an employee (and badged as one)."""
    domain = email.rsplit("@", 1)[-1].lower()
    return Role.EMPLOYEE if domain in employee_domains else Role.CUSTOMER


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def create_user(email: str, name: str, password: str, role: Role) -> User:
    """Create an account; raises EmailTaken when the address is in use."""
    try:
        return await User.create(email=email.strip().lower(), name=name.strip(), password_hash=hash_password(password),
                                 role=role)
    except IntegrityError as exc:
        raise EmailTaken(email) from exc


async def sign_up(form: SignUp, employee_domains: tuple[str, ...]) -> User:
    """A new community member; their role follows from their email domain."""
    if await names.imitates_staff(form.name):
        raise NameImitatesStaff(form.name)
    return await create_user(form.email, form.name, form.password, role_for_email(form.email, employee_domains))


EMAIL_MAX = 254  # RFC 5321, and the column's length


async def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work either way, so no user enumeration by timing)."""
    email = email.strip().lower()
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
