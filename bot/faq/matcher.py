"""The FAQ: one TOML file per entry under `templates/faq/`, and a matcher for questions typed freely.

A file `<id>.toml` holds an optional `order` (display order, then id) and one table per locale of
`bot.i18n.LOCALES`, each with a `title` (a button label), `questions` (the ways clients ask it) and an
`answer` (Jinja2 source rendered with `bot.i18n.rendering.render_string(answer, me=..., rules=..., role=...)`,
Telegram HTML). An answer knows `me`, `role`, `rules` (the `tiering.TierRules` in force) and the environment's
globals (`tier_name`, `segment_name`...). `role` is the reader's role, "client", "adviser" or "admin", or None
for a Telegram account linked to no one; `me` is the reader's figures (`bot.standing.card.ReaderFigures`) only for a
linked client whose tier has been worked out, and None otherwise: for an unlinked reader, for a linked client
not yet scored, and for advisers and admins. So an answer tells these apart by `role` when `me` is None, and
only `role` None is told to get an invitation link. Every figure of the rules (lines, windows, grace) is
written as an expression of `rules`, so that the answers follow the rules file. A file that cannot be used is
refused with one sentence naming the file and the key.

The matcher needs nothing beyond numpy. Text is normalised (NFKC, casefold, punctuation and emoji dropped);
its features are Han character 1- and 2-grams, Latin words (lightly stemmed, misspellings corrected against
the words of the FAQ) with their character 3-grams, bilingual concepts ("tier", "等级" and "级别" are one
concept) and intents (why/为什么, how/怎么...), so a question matches in either language or both mixed. Every
question variant and title is a TF-IDF vector (the IDF counts entries, not variants); an entry's score blends
the best cosine over its variants with the cosine to the centroid of its variants in the closer language.
Everything is computed at load; `match` is a sparse dot product.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import tomllib
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt
from jinja2 import TemplateSyntaxError, meta, nodes

from bot.i18n import LOCALES
from bot.i18n.rendering import environment
from bot.resources import TEMPLATES_DIR

__all__ = [
    "CONFIDENT_FROM",
    "FAQ_DIR",
    "TITLE_MAX_CHARS",
    "Faq",
    "FaqEntry",
    "FaqError",
    "FaqMatch",
    "default_faq",
    "load_faq",
    "normalize",
]

FAQ_DIR: Final = TEMPLATES_DIR / "faq"
TITLE_MAX_CHARS: Final = 40
# The score from which a match is confident, calibrated on tests/data/faq/labelled.toml: off-topic questions
# score below 0.15, banking questions the FAQ does not answer ("the interest rate on deposits") up to about
# 0.26; questions matched right mostly 0.3 and more. Below it, `closest` still offers the likely entries.
CONFIDENT_FROM: Final = 0.28
# An entry's score: this share of its best variant's cosine, the rest from its closest centroid.
_VARIANT_SHARE: Final = 0.6

# Up to 32 characters, so that callback data ("faq:<id>") keeps well within Telegram's 64 bytes.
_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
_LOCALE_KEYS: Final = ("title", "questions", "answer")
_ANSWER_VARIABLES: Final = frozenset({"me", "role", "rules"})
_GETTEXT: Final = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})


class FaqError(ValueError):
    """An FAQ file that cannot be used; the message is one sentence naming the file and the key."""


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: str
    titles: Mapping[str, str]
    questions: Mapping[str, tuple[str, ...]]
    answers: Mapping[str, str]
    order: int = 0


@dataclass(frozen=True, slots=True)
class FaqMatch:
    entry_id: str | None
    """The best entry when the match is confident, else None."""
    score: float
    """The best entry's similarity, 0 to 1, confident or not."""
    closest: tuple[tuple[str, float], ...]
    """Up to 3 (entry id, score), best first: the entries worth offering when the match is not confident."""

    @property
    def confident(self) -> bool:
        return self.entry_id is not None


# --- text --------------------------------------------------------------------------------------------------

_APOSTROPHES: Final = str.maketrans("", "", "'`´‘’")
_HAN: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN: Final = re.compile(rf"([{_HAN}]+)|([^\W_{_HAN}]+)")


def normalize(text: str) -> str:
    """Text as the matcher reads it: NFKC, casefolded, words and Han runs separated by one space."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return " ".join(match.group() for match in _TOKEN.finditer(folded))


# Function words: no feature of their own. (Question words are not here: they are intents, below.)
_STOPWORDS: Final = frozenset(
    {
        "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "done", "doing", "to",
        "of", "for", "in", "on", "at", "by", "with", "from", "as", "into", "about", "and", "or", "but", "it", "its",
        "this", "that", "these", "those", "there", "here", "so", "if", "then", "than", "too", "very", "also", "just",
        "really", "actually", "exactly", "even", "still", "please", "pls", "plz", "kindly", "hi", "hello", "hey",
        "dear", "thanks", "thank", "thx", "ok", "okay", "yes", "no", "can", "could", "would", "should", "will", "shall",
        "may", "might", "must", "you", "u", "ur", "your", "yours", "i", "me", "we", "us", "our", "ive", "id", "ill",
        "which", "get", "got", "tell", "explain", "know", "want", "wanna", "like", "some", "any", "one", "all", "more",
        "most",
    }
)
# Han particles: a Han run is cut at them (so that they make no bigram)...
_HAN_BREAK: Final = re.compile("[的吗呢吧啊呀嘛哦哈啦嗯]")
# ...and these characters make no unigram of their own (they still take part in bigrams).
_HAN_NO_UNIGRAM: Final = frozenset("了么是在有我你您们请问一下个这那些和与及就都也还又要会能可以吗")
# Colloquial forms, read as the written form the variants use.
_HAN_COLLOQUIAL: Final = {"为啥": "为什么", "干嘛": "为什么", "干啥": "做什么", "啥": "什么", "咋": "怎么"}
# Fillers: taken out of a Han run, like English function words.
_HAN_FILLERS: Final = "你好 您好 请问 麻烦 谢谢 到底 究竟 那个 这个 一下 其实 就是 然后 东西 你们 我们"
_HAN_COLLOQUIAL_RE: Final = re.compile("|".join(sorted(_HAN_COLLOQUIAL, key=len, reverse=True)))

# Terms of several words, read as one word (so that "high net worth" weighs as much as "高净值").
_PHRASES: Final = (
    (re.compile(r"\b(?:high net ?worth|hnwi?)\b"), "hnw"),
    (re.compile(r"\b(?:mid|middle) ?tier\b"), "midtier"),
    (re.compile(r"\blife ?cycle\b"), "lifecycle"),
)


def _words(text: str) -> Iterator[re.Match[str]]:
    """The Han runs (group 1) and other words (group 2) of `text`, normalised, with phrases joined."""
    text = normalize(text)
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    return _TOKEN.finditer(text)


# Bilingual concepts, as (English words, Han words): a question in English, in Chinese or mixed reaches the
# variants of the other language through them, and synonyms reach each other. Intents are what a question
# asks (why, how, who...): their words make the intent and nothing else, as function words would.
# Add a synonym here when a reasonable question misses for want of it (tests/data/faq/labelled.toml).
_INTENTS: Final[Mapping[str, tuple[str, str]]] = {
    "why": ("why whys purpose point reason reasons", "为什么 为何 凭什么 目的 意义 原因 有什么用 有啥用"),
    "how": ("how hows way ways", "怎么 怎样 如何 怎么样 怎么办"),
    "what": ("what whats wat mean means meaning", "什么 意思 指的是 是指 是什么意思"),
    "amount": ("much far", "多少 还差 差多少"),
    "who": ("who whom whose", "谁"),
    "when": ("when long", "什么时候 多久 多长时间 何时 马上 立即 立刻"),
    "self": ("my mine myself am im", "我的 我是 我现在 我目前 我属于 我算 我这个 我还"),
}
_CONCEPTS: Final[Mapping[str, tuple[str, str]]] = {
    "tier": (
        "tier tiers tiering tiered level levels grade grades grading graded rank ranking class classify classified"
        " classification category categories group groups status segment band vip",
        "等级 级别 分级 层级 档次 分层 几级 哪级 哪一级 哪个级 哪档 哪一档 客户级 类客户 分类",
    ),
    "hnw": ("hnw", "高净值"),
    "mid": ("midtier", "中端"),
    "ordinary": ("ordinary", "普通客户 普通"),
    "threshold": (
        "threshold thresholds cutoff cutoffs criteria criterion requirement requirements minimum line basis"
        " standard standards rule rules",
        "门槛 标准 条件 要求 依据 规则",
    ),
    "asset": (
        "aum asset assets wealth balance balances money savings deposit deposits holdings worth",
        "资产 存款 余额 资金 财富 持仓 钱",
    ),
    "include": ("include includes included including count counts counted", "算进 算不算 算在 计入 包括 包含 算入"),
    "elsewhere": ("elsewhere", "他行 别的银行 其他银行 别家 其他机构"),
    "outflow": (
        "withdraw withdrew withdrawn withdrawal withdrawals outflow outflows",
        "取钱 取出 取了 转走 转出 支取 提现 净流出",
    ),
    "upgrade": (
        "upgrade upgraded upgrades upgrading promote promoted promotion climb higher",
        "升级 晋级 升到 升档 升上 提升 升一级 更高",
    ),
    "downgrade": (
        "downgrade downgraded downgrades downgrading demote demoted demotion drop dropped lower lose losing",
        "降级 降到 降档 掉级 掉到 掉下 降下 下调 降一级 跌到 会掉",
    ),
    "benefit": (
        "benefit benefits perk perks privilege privileges advantage advantages entitlement entitlements rights extra",
        "权益 福利 好处 特权 待遇 优待 优惠 享受",
    ),
    "adviser": (
        "adviser advisers advisor advisors manager managers rm banker consultant planner",
        "顾问 客户经理 理财经理 经理 专员",
    ),
    "human": ("human person real staff agent", "人工 真人 客服 人员"),
    "contact": ("contact call talk speak phone ring number", "联系 联络 电话 沟通 找到 找谁"),
    "language": ("language languages english chinese mandarin", "语言 中文 英文 英语 汉语 简体"),
    "privacy": (
        "privacy confidential confidentiality secure security safe leak leaked protect protection sell share",
        "隐私 个人信息 保密 安全 泄露 泄漏 外泄 保护 卖给 给别人",
    ),
    "risk": ("risk risks risky c1 c2 c3 c4 c5 r1 r2 r3 r4 r5", "风险"),
    "assessment": ("assessment assess evaluation profile profiling test", "测评 评估 测试"),
    "activity": (
        "activity active trade trades trading transaction transactions frequency frequent often interaction"
        " interactions",
        "活跃 交易 频率 频繁 买卖 互动 高频 低频",
    ),
    "lifecycle": (
        "lifecycle stage stages phase decline declining growth grow growing mature new",
        "生命周期 阶段 衰退 成长 成熟 新客户 新开户",
    ),
    "complexity": (
        "complexity complex diverse diversified diversity variety single types kinds needs",
        "复杂 多样 多元 单一 几类 几种 类别 种类",
    ),
    "loyalty": ("loyalty loyal churn churning retention leaving quit", "忠诚 流失 黏性 粘性 离开 要走"),
    "survey": ("survey surveys feedback satisfaction questionnaire", "调查 调研 反馈 满意度 问卷 意见"),
    "data": ("data information info source sources record records history", "数据 信息 资料 来源 记录 流水"),
    "recommend": (
        "recommend recommends recommended recommendation recommendations suggest suggested suggestion"
        " suggestions suitable suitability",
        "推荐 建议 适合 适当性",
    ),
    "product": ("product products", "产品"),
    "command": ("command commands menu help bot robot", "命令 指令 菜单 帮助 求助 怎么用 功能 机器人"),
}


def _lexicon(table: Mapping[str, tuple[str, str]], column: int) -> dict[str, str]:
    return {word: concept for concept, words in table.items() for word in words[column].split()}


_WORD_INTENT: Final = _lexicon(_INTENTS, 0)
_WORD_CONCEPT: Final = _lexicon(_CONCEPTS, 0)
_HAN_LEXICON: Final = {**_lexicon(_CONCEPTS, 1), **_lexicon(_INTENTS, 1), **dict.fromkeys(_HAN_FILLERS.split(), "")}
_HAN_INTENT: Final = frozenset(_lexicon(_INTENTS, 1)) | frozenset(_HAN_FILLERS.split())
_HAN_LEXICON_RE: Final = re.compile("|".join(sorted(_HAN_LEXICON, key=len, reverse=True)))

# Feature weights by kind (before IDF).
_W_WORD: Final = 1.0
_W_GRAM: Final = 0.15
_W_HAN1: Final = 0.4
_W_HAN2: Final = 1.0
_W_CONCEPT: Final = 1.2
_W_INTENT: Final = 1.0
_UNKNOWN_BOOST: Final = 1.5
_UNKNOWN_BIGRAM: Final = 0.3
_W_CORRECTED: Final = 0.8  # a corrected misspelling counts a little less than the word typed right


def _stem(word: str) -> str:
    """A light English stemmer: enough for tier/tiers/tiering and determine/determined."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) >= 6:
        word = word[:-3]
    elif word.endswith("ed") and len(word) >= 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


def _max_typos(word: str) -> int:
    """Typos corrected in a word of this length: none in short words, where a typo makes another word."""
    return 0 if len(word) < 5 else 1 if len(word) < 8 else 2


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _typos(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


class _Analyzer:
    """Text to weighted features; misspelt Latin words are corrected against the words it was built on."""

    def __init__(self, texts: Iterable[str]) -> None:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(m[2] for m in _words(text) if m[2] and self._is_content(m[2]))
        counts.update(w for w in _WORD_CONCEPT if w not in counts)
        self._counts = counts
        self._stems = frozenset(_stem(w) for w in counts)
        self._deleted: dict[str, list[str]] = defaultdict(list)
        for word in counts:
            for variant in _deletes(word, _max_typos(word)):
                self._deleted[variant].append(word)

    @staticmethod
    def _is_content(word: str) -> bool:
        return word not in _STOPWORDS and word not in _WORD_INTENT

    def _correct(self, word: str) -> str | None:
        """The word of the FAQ that `word` misspells: fewest typos, then the most used; the same first letter."""
        depth = _max_typos(word)
        if not depth or not word.isalpha():
            return None
        best: tuple[int, int, str] | None = None
        for candidate in {c for d in _deletes(word, depth) for c in self._deleted.get(d, ())}:
            if candidate[0] != word[0]:
                continue
            distance = _typos(word, candidate)
            if distance <= min(depth, _max_typos(candidate)):
                key = (distance, -self._counts[candidate], candidate)
                best = key if best is None or key < best else best
        return None if best is None else best[2]

    def features(self, text: str, *, correct: bool) -> dict[str, float]:
        """Weighted features of `text`; `correct` corrects misspelt words (a query, not a variant)."""
        bag: dict[str, float] = defaultdict(float)
        for match in _words(text):
            han, word = match.groups()
            if han:
                self._han(han, bag)
            elif word in _WORD_INTENT:
                bag["?" + _WORD_INTENT[word]] += _W_INTENT
            elif word not in _STOPWORDS:
                self._word(word, bag, correct=correct)
        return bag

    @staticmethod
    def _han(run: str, bag: dict[str, float]) -> None:
        run = _HAN_COLLOQUIAL_RE.sub(lambda m: _HAN_COLLOQUIAL[m.group()], run)
        pieces: list[str] = []
        start = 0
        for found in _HAN_LEXICON_RE.finditer(run):
            word = found.group()
            if word in _HAN_INTENT:
                if _HAN_LEXICON[word]:
                    bag["?" + _HAN_LEXICON[word]] += _W_INTENT
                pieces.append(run[start : found.start()])
                start = found.end()
            else:
                bag["@" + _HAN_LEXICON[word]] += _W_CONCEPT
        pieces.append(run[start:])
        for piece in pieces:
            for part in _HAN_BREAK.split(piece):
                for char in part:
                    if char not in _HAN_NO_UNIGRAM:
                        bag[char] += _W_HAN1
                for i in range(len(part) - 1):
                    bag[part[i : i + 2]] += _W_HAN2

    def _word(self, word: str, bag: dict[str, float], *, correct: bool) -> None:
        weight = 1.0
        if correct and word not in self._counts and _stem(word) not in self._stems:
            fixed = self._correct(word)
            if fixed is not None:
                word, weight = fixed, _W_CORRECTED
        stem = _stem(word)
        bag["w" + stem] += _W_WORD * weight
        padded = f"<{stem}>"
        for i in range(len(padded) - 2):
            bag["g" + padded[i : i + 3]] += _W_GRAM * weight
        concept = _WORD_CONCEPT.get(word) or _WORD_CONCEPT.get(stem)
        if concept is not None:
            bag["@" + concept] += _W_CONCEPT * weight


# --- the FAQ -----------------------------------------------------------------------------------------------


class Faq:
    """The entries in display order, and the matcher built over their questions and titles."""

    def __init__(self, entries: Iterable[FaqEntry]) -> None:
        ordered = sorted(entries, key=lambda e: (e.order, e.id))
        self.entries: Mapping[str, FaqEntry] = MappingProxyType({e.id: e for e in ordered})
        self._ids = tuple(self.entries)
        documents: list[tuple[int, str, str]] = [
            (number, locale, text)
            for number, entry in enumerate(ordered)
            for locale in LOCALES
            for text in (entry.titles[locale], *entry.questions[locale])
        ]
        self._analyzer = _Analyzer(text for _, _, text in documents)
        bags = [self._analyzer.features(text, correct=False) for _, _, text in documents]
        # Inverse entry frequency: a feature that all the variants of one entry share is no less telling for it.
        used_by: dict[str, set[int]] = defaultdict(set)
        for (number, _, _), bag in zip(documents, bags, strict=True):
            for feature in bag:
                used_by[feature].add(number)
        self._idf = {f: math.log((1 + len(ordered)) / (1 + len(n))) + 1 for f, n in used_by.items()}
        self._unknown_idf = (math.log(1 + len(ordered)) + 1) * _UNKNOWN_BOOST

        rows = [self._vector(bag) for bag in bags]
        # One centroid per entry and locale, after the variants, in the same order of entries.
        groups: dict[tuple[int, str], list[dict[str, float]]] = defaultdict(list)
        for (number, locale, _), row in zip(documents, rows, strict=True):
            groups[number, locale].append(row)
        for number in range(len(ordered)):
            for locale in LOCALES:
                centroid: dict[str, float] = defaultdict(float)
                for row in groups[number, locale]:
                    for feature, value in row.items():
                        centroid[feature] += value
                rows.append(_unit(centroid))
        self._variants = len(documents)
        starts = [i for i, doc in enumerate(documents) if i == 0 or documents[i - 1][0] != doc[0]]
        self._starts = np.array(starts, dtype=np.intp)
        self._rows = len(rows)

        # Postings per feature (a sparse matrix by column): the rows holding it and their weights.
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for number, row in enumerate(rows):
            for feature, value in row.items():
                postings[feature].append((number, value))
        self._postings: dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]] = {
            feature: (
                np.array([n for n, _ in pairs], dtype=np.intp),
                np.array([v for _, v in pairs], dtype=np.float64),
            )
            for feature, pairs in postings.items()
        }

    def _vector(self, bag: Mapping[str, float]) -> dict[str, float]:
        return _unit({f: w * self._idf.get(f, self._unknown(f)) for f, w in bag.items()})

    def _unknown(self, feature: str) -> float:
        """The weight of a feature no variant has: an unknown word tells that the question is about something
        else, but most unknown Han bigrams straddle two words ("把钱" of "我把钱转走") and tell little."""
        return self._unknown_idf * (_UNKNOWN_BIGRAM if len(feature) == 2 and feature[0] >= "\u3400" else 1.0)

    def scores(self, text: str) -> npt.NDArray[np.float64]:
        """Every entry's score for `text`, in the order of `entries`."""
        query = self._vector(self._analyzer.features(text, correct=True))
        hits = [(self._postings[f], w) for f, w in query.items() if f in self._postings]
        # Question words alone ("who are you?") match nothing: an intent needs a topic.
        if not any(f[0] != "?" and f in self._postings for f in query):
            return np.zeros(len(self._ids))
        rows = np.concatenate([p[0] for p, _ in hits])
        values = np.concatenate([p[1] * w for p, w in hits])
        sims = np.bincount(rows, weights=values, minlength=self._rows)
        best_variant = np.maximum.reduceat(sims[: self._variants], self._starts)
        best_centroid = sims[self._variants :].reshape(len(self._ids), len(LOCALES)).max(axis=1)
        scores: npt.NDArray[np.float64] = _VARIANT_SHARE * best_variant + (1 - _VARIANT_SHARE) * best_centroid
        return np.clip(scores, 0.0, 1.0)

    def match(self, text: str) -> FaqMatch:
        """The entry `text` asks about, in either language whatever the reader's, or the closest ones."""
        scores = self.scores(text)
        top = np.argsort(-scores, kind="stable")[:3]
        closest = tuple((self._ids[i], float(scores[i])) for i in top if scores[i] > 0)
        best = closest[0][1] if closest else 0.0
        return FaqMatch(entry_id=closest[0][0] if best >= CONFIDENT_FROM else None, score=best, closest=closest)

    def title(self, entry_id: str, locale: str) -> str:
        return self.entries[entry_id].titles[locale]

    def answer(self, entry_id: str, locale: str) -> str:
        """The answer's Jinja2 source, for `bot.i18n.rendering.render_string(source, me=..., rules=...)`."""
        return self.entries[entry_id].answers[locale]


def _unit(vector: Mapping[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {f: v / norm for f, v in vector.items()} if norm else {}


# --- loading -----------------------------------------------------------------------------------------------


def _unknown_key(source: Path, key: str, known: Iterable[str]) -> FaqError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return FaqError(f'{source}: unknown key "{key}"{hint}')


def _text(source: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise FaqError(f"{source}: {key}: must be text, not {type(value).__name__}")
    if not value.strip():
        raise FaqError(f"{source}: {key}: must not be empty")
    return value.strip()


def _answer(source: Path, key: str, value: object) -> str:
    text = _text(source, key, value)
    env = environment()
    try:
        tree = env.parse(text)
        env.compile(text)
    except TemplateSyntaxError as error:
        where = f"(at line {error.lineno} of the answer)"
        raise FaqError(f"{source}: {key}: not a valid template: {error.message} {where}") from None
    # Filters and tests in a branch are only looked up when the branch runs: check them all now.
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        kind, known = ("filter", env.filters) if isinstance(node, nodes.Filter) else ("test", env.tests)
        if node.name not in known:
            raise FaqError(f"{source}: {key}: uses an unknown {kind} {node.name}")
    if any(name.name in _GETTEXT for name in tree.find_all(nodes.Name)):
        raise FaqError(f"{source}: {key}: uses gettext, but an answer is already in its locale's language")
    unknown = meta.find_undeclared_variables(tree) - _ANSWER_VARIABLES - set(env.globals)
    if unknown:
        names = ", ".join(sorted(unknown))
        raise FaqError(
            f"{source}: {key}: uses {names}, but an answer knows only me, role, rules and the template globals"
        )
    return text


def _questions(source: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise FaqError(f"{source}: {key}: must be a list of one question or more")
    questions = tuple(_text(source, f"{key}[{i}]", q) for i, q in enumerate(value))
    for i, question in enumerate(questions):
        if not normalize(question):
            raise FaqError(f"{source}: {key}[{i}]: has no words")
    return questions


def _entry(source: Path) -> FaqEntry:
    entry_id = source.stem
    if not _ID.fullmatch(entry_id):
        raise FaqError(f"{source}: the file name must be an entry id: up to 32 lowercase letters, digits and _")
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise FaqError(f"{source}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise FaqError(f"{source}: not valid TOML: {error}") from None
    for key in document:
        if key != "order" and key not in LOCALES:
            raise _unknown_key(source, key, ("order", *LOCALES))
    order = document.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        raise FaqError(f"{source}: order: must be a whole number")
    titles: dict[str, str] = {}
    questions: dict[str, tuple[str, ...]] = {}
    answers: dict[str, str] = {}
    for locale in LOCALES:
        table = document.get(locale)
        if table is None:
            raise FaqError(f"{source}: {locale}: is required (every entry has every locale: {', '.join(LOCALES)})")
        if not isinstance(table, dict):
            raise FaqError(f"{source}: {locale}: must be a table ([{locale}])")
        for key in table:
            if key not in _LOCALE_KEYS:
                raise _unknown_key(source, f"{locale}.{key}", (f"{locale}.{k}" for k in _LOCALE_KEYS))
        for key in _LOCALE_KEYS:
            if key not in table:
                raise FaqError(f"{source}: {locale}.{key}: is required")
        titles[locale] = _text(source, f"{locale}.title", table["title"])
        if len(titles[locale]) > TITLE_MAX_CHARS:
            raise FaqError(f"{source}: {locale}.title: must be at most {TITLE_MAX_CHARS} characters")
        questions[locale] = _questions(source, f"{locale}.questions", table["questions"])
        answers[locale] = _answer(source, f"{locale}.answer", table["answer"])
    return FaqEntry(
        id=entry_id,
        titles=MappingProxyType(titles),
        questions=MappingProxyType(questions),
        answers=MappingProxyType(answers),
        order=order,
    )


def _sources(directory: Path) -> Iterator[Path]:
    if not directory.is_dir():
        raise FaqError(f"{directory}: no such FAQ folder")
    yield from sorted(directory.glob("*.toml"))


def load_faq(directory: Path = FAQ_DIR) -> Faq:
    """Every `<id>.toml` of `directory`, checked; FaqError on the first file that cannot be used."""
    entries: dict[str, FaqEntry] = {}
    asked: dict[str, tuple[str, Path]] = {}  # a normalised question -> its entry and file
    for source in _sources(directory):
        entry = _entry(source)
        if entry.id in entries:
            raise FaqError(f"{source}: duplicate entry id {entry.id!r}")
        entries[entry.id] = entry
        for locale in LOCALES:
            for i, question in enumerate(entry.questions[locale]):
                key = normalize(question).replace(" ", "")
                if key in asked and asked[key][0] != entry.id:
                    other, where = asked[key]
                    raise FaqError(f"{source}: {locale}.questions[{i}]: {where.name} ({other}) asks the same")
                asked.setdefault(key, (entry.id, source))
    if not entries:
        raise FaqError(f"{directory}: no FAQ entries (<id>.toml files)")
    return Faq(entries.values())


@functools.cache
def default_faq() -> Faq:
    """The FAQ that ships with tierbot, loaded once."""
    return load_faq()
