"""The FAQ: entries loaded from templates/faq/, and free text matched to them in either language."""

from bot.faq.matcher import (
           FAQ_DIR,
           TITLE_MAX_CHARS,
           Faq,
           FaqEntry,
           FaqError,
           FaqMatch,
           default_faq,
           load_faq,
           normalize,
)

__all__ = ["FAQ_DIR", "TITLE_MAX_CHARS", "Faq", "FaqEntry", "FaqError", "FaqMatch", "default_faq", "load_faq",
           "normalize"]
