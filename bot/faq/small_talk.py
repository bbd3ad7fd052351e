"""Small talk: a message that is nothing but a greeting, thanks or a goodbye ("hi there", "thanks a lot", "你好",
"谢谢您", "再见", "bye 拜拜"), in either language or both mixed. Such a message asks nothing, so the FAQ has no
answer for it; it gets a friendly reply instead of "I am not sure I understood". A message that says anything more
("hi, what tier am I") is a question and goes to the FAQ."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

from bot.faq.lexicon import words

__all__ = ["SmallTalk", "small_talk"]


class SmallTalk(enum.StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    FAREWELL = "farewell"


def _table(groups: Mapping[SmallTalk | None, str]) -> dict[str, SmallTalk | None]:
    return {word: kind for kind, text in groups.items() for word in text.split()}


# English words (as normalised: casefolded, no apostrophes) and what they say; None for the words that go with small
# talk without making it ("thank you so much", "hello there", "good morning everyone").
_WORDS: Final = _table({
    SmallTalk.GREETING: "hi hello hey hiya heya howdy hallo hullo greetings yo morning afternoon evening",
    SmallTalk.THANKS: "thanks thank thankyou thx tks ty tq cheers appreciate appreciated grateful",
    SmallTalk.FAREWELL: "bye goodbye byebye farewell cya see later goodnight night",
    None: "there all everyone everybody guys folks bot tierbot you u so very much lot lots a many again good great nice"
          " day to for the your help it and ok okay oh dear sir madam friend really indeed have care take soon now",
})
# Han words and what they say, the longest first when a run is read; None for fillers and particles.
_HAN: Final = _table({
    SmallTalk.GREETING: "你好 您好 你们好 大家好 早上好 上午好 中午好 下午好 晚上好 早安 早 嗨 哈喽 哈啰 嗨喽"
                        " 在吗 在么",
    SmallTalk.THANKS: "谢谢 多谢 感谢 谢了 谢啦 辛苦了 辛苦 麻烦了",
    SmallTalk.FAREWELL: "再见 拜拜 回头见 下次见 明天见 晚安 先这样",
    None: "你 您 你们 大家 机器人 小助手 助手 非常 十分 太 很 真 好的 好 的 了 啊 呀 哦 噢 喔 啦 吗 呢 嘛 吧 哈 嗯"
          " 帮助 帮忙 一下",
})
_HAN_LONGEST: Final = max(map(len, _HAN))
# What a message that says several things says, by precedence: "thanks, bye" takes its leave.
_PRECEDENCE: Final = (SmallTalk.FAREWELL, SmallTalk.THANKS, SmallTalk.GREETING)


def _han(run: str, said: set[SmallTalk]) -> bool:
    """Read a Han run into `said`; False when some of it is not small talk."""
    start = 0
    while start < len(run):
        for length in range(min(_HAN_LONGEST, len(run) - start), 0, -1):
            piece = run[start:start + length]
            if piece in _HAN:
                if (kind := _HAN[piece]) is not None:
                    said.add(kind)
                start += length
                break
        else:
            return False
    return True


def small_talk(text: str) -> SmallTalk | None:
    """What `text` says when it is small talk and nothing else; None when it says anything more, or nothing."""
    said: set[SmallTalk] = set()
    for match in words(text):
        han, word = match.groups()
        if han:
            if not _han(han, said):
                return None
        elif word in _WORDS:
            if (kind := _WORDS[word]) is not None:
                said.add(kind)
        else:
            return None
    return next((kind for kind in _PRECEDENCE if kind in said), None)
