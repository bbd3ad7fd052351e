"""The delivery outbox and its sender: every push of tierbot (alert digests, later surveys and strategy messages) is
a row of the outbox, written in the transaction of the change that calls for it, and sent by the sender within
Telegram's limits (docs/delivery.md). The outbox imports nothing of aiogram, so the services that queue can use
these names; the sender, the one part that talks to Telegram, is imported by its own name, `bot.delivery.sender`."""

from bot.delivery.outbox import Outgoing, Queued, enqueue

__all__ = ["Outgoing", "Queued", "enqueue"]
