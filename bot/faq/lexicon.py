"""The FAQ's bilingual lexicon: text normalised (Traditional characters and Taiwan and Hong Kong words read as
their Simplified, mainland forms) and cut into Han runs and words, the function words and particles
that carry nothing, English and Han words mapped to shared concepts ("tier", "等级" and "级别" are one) and intents
(why/为什么, how/怎么...), a light English stemmer, and the typo distance by which misspellings are corrected."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Final

from bot.i18n.scripts import to_simplified

__all__ = [
    "HAN_BREAK",
    "HAN_INTENT",
    "HAN_LEXICON",
    "HAN_LEXICON_RE",
    "HAN_NO_UNIGRAM",
    "STOPWORDS",
    "WORD_CONCEPT",
    "WORD_INTENT",
    "deletes",
    "max_typos",
    "normalize",
    "stem",
    "typos",
    "words",
    "written",
]

_APOSTROPHES: Final = str.maketrans("", "", "'`´‘’")
_HAN: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN: Final = re.compile(rf"([{_HAN}]+)|([^\W_{_HAN}]+)")


_HAN_RUN: Final = re.compile(f"[{_HAN}]")


def normalize(text: str) -> str:
    """Text as the matcher reads it: NFKC, casefolded, in Simplified characters, words and Han runs separated by
    one space."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    if _HAN_RUN.search(folded):
        folded = to_simplified(folded)
    return " ".join(match.group() for match in _TOKEN.finditer(folded))


# Function words: no feature of their own. (Question words are not here: they are intents, below.)
STOPWORDS: Final = frozenset(
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
HAN_BREAK: Final = re.compile("[的吗呢吧啊呀嘛哦哈啦嗯喎啰咯嘞吖喇]")
# ...and these characters make no unigram of their own (they still take part in bigrams).
HAN_NO_UNIGRAM: Final = frozenset("了么是系在有我你您们请问一下个这那些和与及就都也还又要会能可以吗")
# Colloquial forms, read as the written form the variants use: the mainland's, then Hong Kong's written
# Cantonese (after conversion to Simplified characters: 係 is 系, 點樣 is 点样), then Taiwan's words.
_HAN_COLLOQUIAL: Final = {
    "为啥": "为什么", "干嘛": "为什么", "干啥": "做什么", "啥": "什么", "咋": "怎么",
    # Only words no Mandarin question holds: 识 alone is in 认识, 返 in 返回, 点做 in 重点做.
    "点样": "怎么", "点解": "为什么", "乜嘢": "什么", "咩话": "什么说", "系咩": "是什么", "系乜": "是什么",
    "咩": "什么", "乜": "什么", "系咪": "是不是",
    "系唔系": "是不是", "几时": "什么时候", "边个": "哪个", "边度": "哪里", "边级": "哪级", "冇": "没有",
    "唔识": "不会", "唔该": "谢谢", "唔": "不", "嘅": "的", "喺": "在", "佢": "他", "俾": "给", "畀": "给", "睇": "看",
    "揾": "找", "咗": "了", "啲": "些", "问下": "问一下", "你哋": "你们", "我哋": "我们", "佢哋": "他们",
    "着数": "好处", "攞": "取", "出嚟": "出来", "嚟": "来", "咁": "那", "跌返": "跌到", "即刻": "立刻",
    "帐户": "账户", "帐号": "账号", "理专": "理财经理",
}
# Fillers: taken out of a Han run, like English function words.
_HAN_FILLERS: Final = "你好 您好 请问 麻烦 谢谢 到底 究竟 那个 这个 一下 其实 就是 然后 东西 你们 我们"
_HAN_COLLOQUIAL_RE: Final = re.compile("|".join(sorted(_HAN_COLLOQUIAL, key=len, reverse=True)))

# Terms of several words, read as one word (so that "high net worth" weighs as much as "高净值").
_PHRASES: Final = (
    (re.compile(r"\b(?:high net ?worth|hnwi?)\b"), "hnw"),
    (re.compile(r"\b(?:mid|middle) ?tier\b"), "midtier"),
    (re.compile(r"\blife ?cycle\b"), "lifecycle"),
)


def words(text: str) -> Iterator[re.Match[str]]:
    """The Han runs (group 1) and other words (group 2) of `text`, normalised, with phrases joined."""
    text = normalize(text)
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    return _TOKEN.finditer(text)


def written(run: str) -> str:
    """A Han run with its colloquial forms replaced by the written forms the variants use."""
    return _HAN_COLLOQUIAL_RE.sub(lambda m: _HAN_COLLOQUIAL[m.group()], run)


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
        "取钱 取出 取了 转走 转出 支取 提现 提钱 提了 净流出",
    ),
    "upgrade": (
        "upgrade upgraded upgrades upgrading promote promoted promotion climb higher",
        "升级 晋级 升到 升档 升上 提升 升一级 更高 变成",
    ),
    "downgrade": (
        "downgrade downgraded downgrades downgrading demote demoted demotion drop dropped lower lose losing",
        "降级 降到 降档 掉级 掉到 掉下 降下 下调 降一级 跌到 会掉 会降",
    ),
    "benefit": (
        "benefit benefits perk perks privilege privileges advantage advantages entitlement entitlements rights extra",
        "权益 福利 好处 特权 待遇 优待 优惠 享受",
    ),
    "adviser": (
        "adviser advisers advisor advisors manager managers rm banker consultant planner",
        "顾问 客户经理 理财经理 经理 专员 负责我",
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
    "loyalty": ("loyalty loyal churn churning retention leaving quit", "忠诚 流失 黏性 粘性 离开 要走 想走"),
    "survey": ("survey surveys feedback satisfaction questionnaire", "调查 调研 反馈 满意度 问卷 意见"),
    "data": ("data information info source sources record records history", "数据 信息 资料 来源 记录 流水"),
    "recommend": (
        "recommend recommends recommended recommendation recommendations suggest suggested suggestion"
        " suggestions suitable suitability",
        "推荐 建议 适合 适当性",
    ),
    "product": ("product products", "产品"),
    "command": ("command commands menu help bot robot", "命令 指令 菜单 帮助 求助 怎么用 不会用 功能 机器人"),
}


def _lexicon(table: Mapping[str, tuple[str, str]], column: int) -> dict[str, str]:
    return {word: concept for concept, languages in table.items() for word in languages[column].split()}


WORD_INTENT: Final = _lexicon(_INTENTS, 0)
WORD_CONCEPT: Final = _lexicon(_CONCEPTS, 0)
HAN_LEXICON: Final = {**_lexicon(_CONCEPTS, 1), **_lexicon(_INTENTS, 1), **dict.fromkeys(_HAN_FILLERS.split(), "")}
HAN_INTENT: Final = frozenset(_lexicon(_INTENTS, 1)) | frozenset(_HAN_FILLERS.split())
HAN_LEXICON_RE: Final = re.compile("|".join(sorted(HAN_LEXICON, key=len, reverse=True)))


def stem(word: str) -> str:
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


def max_typos(word: str) -> int:
    """Typos corrected in a word of this length: none in short words, where a typo makes another word."""
    return 0 if len(word) < 5 else 1 if len(word) < 8 else 2


def deletes(word: str, depth: int) -> set[str]:
    """`word` and every string made from it by deleting up to `depth` of its characters."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def typos(a: str, b: str) -> int:
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
