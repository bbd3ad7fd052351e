"""The FAQ: entries loaded from templates/faq/ and checked (`content`), and free text matched to them in either
language (`matcher`, over the bilingual words of `lexicon`). Others use the names below: `default_faq()` for the
FAQ that ships, `load_faq` for another folder, `Faq.match` for a question typed freely, `normalize` for text
as the matcher reads it, and `small_talk` for a message that is only a greeting, thanks or a goodbye."""

from bot.faq.content import FAQ_DIR, TITLE_MAX_CHARS, FaqEntry, FaqError
from bot.faq.lexicon import normalize
from bot.faq.matcher import CONFIDENT_FROM, Faq, FaqMatch, default_faq, load_faq
from bot.faq.small_talk import SmallTalk, small_talk

__all__ = [
    "CONFIDENT_FROM",
    "FAQ_DIR",
    "TITLE_MAX_CHARS",
    "Faq",
    "FaqEntry",
    "FaqError",
    "FaqMatch",
    "SmallTalk",
    "default_faq",
    "load_faq",
    "normalize",
    "small_talk",
]
