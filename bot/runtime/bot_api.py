"""The Bot API as the settings reach it: a Bot whose token the server accepted, and what aiogram and aiohttp raise
when it cannot be used (a malformed or refused token, a server that is not there or is not a Bot API), said in
one sentence that names the setting to fix."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import aiohttp
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.utils.token import TokenValidationError

from bot.config import Settings
from bot.i18n import gettext as _
from bot.runtime.dispatcher import create_bot

__all__ = ["BotApiFailure", "bot_api_failures", "open_bot"]


class BotApiFailure(Exception):
    """The Bot API cannot be used with these settings; the message is the sentence to show."""


def _reason(error: BaseException) -> str:
    # aiogram wraps aiohttp's errors: the wrapped one names what happened (ClientConnectorError, InvalidURL, ...).
    cause = error.__cause__ if isinstance(error, TelegramNetworkError) and error.__cause__ else error
    return type(cause).__name__


@contextmanager
def bot_api_failures(settings: Settings) -> Iterator[None]:
    """Within the block, a failure to use the Bot API of the settings is a BotApiFailure (one sentence)."""
    url = settings.telegram.api
    try:
        yield
    except TokenValidationError:
        raise BotApiFailure(_("TIERBOT_TELEGRAM_TOKEN is not a bot token: a token from @BotFather looks like "
                              "“123456789:AAH…”.")) from None
    except (aiohttp.ClientError, TelegramNetworkError, TimeoutError) as error:  # before TelegramAPIError's others
        raise BotApiFailure(_("Cannot reach the Bot API at {url} ({reason}).").format(
            url=url, reason=_reason(error))) from None
    except TelegramUnauthorizedError as error:
        raise BotApiFailure(_("The Bot API did not accept the bot token ({reason}): check TIERBOT_TELEGRAM_TOKEN.")
                            .format(reason=error.message)) from None
    except TelegramNotFound as error:
        raise BotApiFailure(_("The Bot API at {url} knows no bot by this token ({reason}): check "
                              "TIERBOT_TELEGRAM_TOKEN and TIERBOT_TELEGRAM_API.").format(
            url=url, reason=error.message)) from None
    except ClientDecodeError:
        raise BotApiFailure(_("The server at {url} does not answer as a Bot API server: check TIERBOT_TELEGRAM_API.")
                            .format(url=url)) from None
    except TelegramAPIError as error:
        raise BotApiFailure(_("The Bot API at {url} answered with an error ({reason}).").format(
            url=url, reason=error.message)) from None


@asynccontextmanager
async def open_bot(settings: Settings, *, create: Callable[[Settings], Bot] = create_bot) -> AsyncIterator[Bot]:
    """A Bot made by `create` on the settings' Bot API server that has answered getMe (`await bot.me()` is then
    free); its session closed at the end. Raises MissingToken without a token, BotApiFailure when the Bot API
    cannot be used."""
    with bot_api_failures(settings):
        bot = create(settings)
    try:
        with bot_api_failures(settings):
            await bot.me()
        yield bot
    finally:
        await bot.session.close()
