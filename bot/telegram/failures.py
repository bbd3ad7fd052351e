"""What a log may say of a failed update: ids only.

aiogram's errors name more than that: a TelegramRetryAfter's text names the chat ("... in chat 5000001"), a
migration names both chats, a response that could not be decoded quotes the response (the reply's text), and
Telegram's own descriptions may quote a piece of the message ("Unsupported start tag "x" at byte offset 5").
For those, the log gets the error's kind, the Bot API method and Telegram's reason without its details. Other
exceptions are logged by their kind only: a driver's message may quote a value it could not store (asyncpg's
"invalid input for query argument $1: '...'"), a template's or a validator's the data it could not read. In
every case a stand-in exception carries the traceback (the frames, not their values), so the developers still
see where it happened, and none of the chained exceptions' messages.
"""

from __future__ import annotations

from aiogram.exceptions import AiogramError, TelegramAPIError, TelegramMigrateToChat, TelegramRetryAfter

__all__ = ["LoggedFailure", "loggable"]


class LoggedFailure(Exception):
    """Stands for a failure in the log: its traceback, with a message that names no chat and quotes nothing."""


def _reason(description: str) -> str:
    # Telegram words its errors "Kind: reason: details", e.g. "Bad Request: can't parse entities: <details>".
    return ":".join(description.split(":")[:2]).strip()


def _summary(error: AiogramError) -> str:
    kind = type(error).__name__
    if not isinstance(error, TelegramAPIError):
        return kind
    method = error.method.__api_method__
    if isinstance(error, TelegramRetryAfter):
        return f"{kind} on {method}: retry after {error.retry_after} s"
    if isinstance(error, TelegramMigrateToChat):  # its message names both chats
        return f"{kind} on {method}"
    return f"{kind} on {method}: {_reason(error.message)}"


def loggable(error: BaseException) -> tuple[str, BaseException]:
    """A summary of `error` for the log line, and the exception whose traceback goes with it."""
    summary = _summary(error) if isinstance(error, AiogramError) else type(error).__name__
    failure = LoggedFailure(summary).with_traceback(error.__traceback__)
    failure.__suppress_context__ = True
    return summary, failure
