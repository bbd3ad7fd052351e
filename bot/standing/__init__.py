"""A client's tier as a reader may see it, shared by the client chat and the staff screens: the card from the stored
tier state, the details assessed afresh, and a client's own figures for the FAQ. Every read takes the
`AllowedClient` that `bot.accounts.grant_access` returns."""

from bot.standing.card import CardView, CurrencyHolding, TierCard, open_card, tier_card
from bot.standing.details import ClientStanding, ShelfEntry, client_details
from bot.standing.figures import ReaderFigures, reader_figures

__all__ = ["CardView", "ClientStanding", "CurrencyHolding", "ReaderFigures", "ShelfEntry", "TierCard",
           "client_details", "open_card", "reader_figures", "tier_card"]
