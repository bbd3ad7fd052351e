"""The delivery outbox and its sender: every push of tierbot (alert digests, later surveys and strategy messages) is
a row of the outbox, written in the transaction of the change that calls for it, and sent by the sender within
Telegram's limits. The outbox imports nothing of aiogram; the sender is the one part that talks to Telegram."""

from bot.delivery.outbox import Outgoing, enqueue

__all__ = ["Outgoing", "enqueue"]
