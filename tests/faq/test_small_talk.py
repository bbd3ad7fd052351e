"""Small talk told apart from questions: a greeting, thanks or a goodbye alone, in either language or mixed, with
the words people add; anything more is a question for the FAQ."""

from __future__ import annotations

import tomllib

import pytest
from support.paths import TEST_DATA

from bot.faq import SmallTalk, small_talk

GREETING, THANKS, FAREWELL = SmallTalk.GREETING, SmallTalk.THANKS, SmallTalk.FAREWELL


@pytest.mark.parametrize(("text", "said"), [
    ("hello", GREETING), ("Hi there!", GREETING), ("hey bot", GREETING), ("good morning everyone", GREETING),
    ("你好", GREETING), ("您好！", GREETING), ("你好呀", GREETING), ("早上好，小助手", GREETING), ("在吗", GREETING),
    ("Hello 你好", GREETING),
    ("thanks", THANKS), ("thank you so much 🙏", THANKS), ("Thanks for your help!", THANKS), ("ok thx", THANKS),
    ("谢谢", THANKS), ("谢谢您！", THANKS), ("谢谢你的帮助", THANKS), ("好的，谢谢", THANKS), ("hi, thanks", THANKS),
    ("bye", FAREWELL), ("see you soon", FAREWELL), ("good night", FAREWELL), ("再见", FAREWELL), ("拜拜", FAREWELL),
    ("thanks, bye!", FAREWELL), ("谢谢，再见", FAREWELL),
])
def test_small_talk_in_either_language(text: str, said: SmallTalk) -> None:
    assert small_talk(text) is said


@pytest.mark.parametrize("text", [
    "hi, what tier am I?", "thanks, and how do I move up?", "你好，我是什么等级", "谢谢，怎么联系客户经理",
    "ok", "好", "good", "🙂", "", "what's the weather in Paris", "hello world of private banking",
])
def test_anything_more_or_less_is_not_small_talk(text: str) -> None:
    assert small_talk(text) is None


def test_no_question_the_faq_answers_reads_as_small_talk() -> None:
    with (TEST_DATA / "faq" / "labelled.toml").open("rb") as file:
        labelled = tomllib.load(file)
    for locale, entries in labelled.items():
        for entry_id, questions in entries.items():
            if entry_id.startswith("off_topic"):
                continue
            for question in questions:
                assert small_talk(question) is None, f"{locale} {entry_id}: {question}"
