from bot.accounts.invites import *  # noqa: F403
from bot.accounts.invites import __all__  # noqa: F401
