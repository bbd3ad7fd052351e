"""People in Telegram: invites and binding, the reader behind each update, access to a client's data, and whom a
client contacts."""

from bot.accounts.access import AllowedBook, AllowedClient, Refusal, example_client, grant_access, grant_book
from bot.accounts.blocking import record_blocking
from bot.accounts.contact import AdviserContact, adviser_contact
from bot.accounts.invites import (
    INVITE_TTL,
    INVITE_TTL_RANGE,
    BindingRefusal,
    BindingRefused,
    IssuedInvite,
    UnknownTarget,
    create_invite,
    create_invites,
    redeem_invite,
)
from bot.accounts.readers import Reader, display_name, load_reader, remember_locale
from bot.db.models import Role

__all__ = [
    "INVITE_TTL",
    "INVITE_TTL_RANGE",
    "AdviserContact",
    "AllowedBook",
    "AllowedClient",
    "BindingRefusal",
    "BindingRefused",
    "IssuedInvite",
    "Reader",
    "Refusal",
    "Role",
    "UnknownTarget",
    "adviser_contact",
    "create_invite",
    "create_invites",
    "display_name",
    "example_client",
    "grant_access",
    "grant_book",
    "load_reader",
    "record_blocking",
    "redeem_invite",
    "remember_locale",
]
