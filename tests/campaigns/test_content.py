"""What campaigns send, as data: every survey and strategy message that ships loads, complete in every locale,
promising nothing and naming only products of the shelf, rendering for a real reader in both languages; and a file
that cannot be used is refused with one sentence naming the file and the key."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from aiogram.utils.i18n import I18n
from support.paths import REPOSITORY

from bot.accounts import AdviserContact
from bot.campaigns.content import (
    STRATEGIES_DIR,
    SURVEYS_DIR,
    ContentError,
    ShelfItem,
    StrategyMessage,
    Survey,
    load_strategy,
    load_survey,
    load_template,
    template_ids,
)
from bot.db.models import CampaignKind, SurveyScale
from bot.demo.shelf import SHELF
from bot.i18n import LOCALES
from bot.i18n.rendering import format_money, render_string
from bot.i18n.sources import template_variables
from bot.i18n.vocabulary import product_name
from tiering import STRATEGIES

# The surveys of the issue, each question's scale, and whether the question asks "why?" after the rating.
SURVEYS = {
    "relationship_nps": [("recommend", SurveyScale.NPS, True)],
    "service_csat": [("adviser_service", SurveyScale.CSAT, True)],
    "effort_ces": [("easy_request", SurveyScale.CES, False)],
    "annual_review": [("recommend", SurveyScale.NPS, True), ("adviser_service", SurveyScale.CSAT, False),
                      ("ease", SurveyScale.CES, False)],
}
# One message per strategy of the method the issue names, each file named after the strategy it serves.
STRATEGY_MESSAGES = (
    "dedicated_adviser", "seminars", "self_service", "realtime_market_news", "periodic_reports", "introduction",
    "portfolio_advice", "premium_service", "plans_conversation", "integrated_planning", "value_added_service",
    "retention_outreach",
)
SHELF_BY_ID = {product.product_id: product for product in SHELF}
RISK_REMINDER = {
    "en": "Investing involves risk; past performance does not guarantee future results.",
    "zh_Hans": "投资有风险，过往业绩不代表未来表现。",
    "zh_Hant": "投資涉及風險，過往表現不代表未來表現。",
}
# Words that promise returns or press the reader (compliance-and-domain.md §3: no certainty about what is
# uncertain, no pressure), and talk of moving up a tier (a tier is not a risk level). English is compared in
# lower case; "guarantee" is allowed only in the risk reminder itself.
FORBIDDEN = {
    "en": ("guarantee", "risk-free", "risk free", "no risk", "zero risk", "can't lose", "cannot lose", "sure win",
           "safe bet", "certain return", "high return", "promise", "act now", "hurry", "last chance",
           "limited time", "don't miss", "seats are limited", "move up", "upgrade", "higher tier"),
    "zh_Hans": ("保本", "稳赚", "包赚", "保证收益", "保收益", "承诺收益", "刚性兑付", "刚兑", "零风险", "无风险",
                "高收益", "立即购买", "抢购", "限时", "最后机会", "错过", "名额有限", "升级", "更高等级"),
    "zh_Hant": ("保本", "穩賺", "包賺", "保證收益", "保收益", "承諾收益", "剛性兌付", "剛兌", "零風險", "無風險",
                "高收益", "立即購買", "搶購", "限時", "最後機會", "錯過", "名額有限", "升級", "更高等級"),
}
# The renderer adds the way to refuse further marketing to every strategy message: a body does not.
UNSUBSCRIBE = ("unsubscribe", "/stop", "退订", "取消訂閱")
CLIENT_NAME = "Wang <b>Wei</b> & Co"
# Each locale's salutation opening every body, the client's name escaped: Traditional readers are greeted "…您好：".
SALUTATION = {
    "en": "Dear Wang &lt;b&gt;Wei&lt;/b&gt; &amp; Co,",
    "zh_Hans": "尊敬的Wang &lt;b&gt;Wei&lt;/b&gt; &amp; Co：",
    "zh_Hant": "Wang &lt;b&gt;Wei&lt;/b&gt; &amp; Co您好：",
}
CONTACTS = (
    AdviserContact("Li Na", "+86 21 5555 0101", "li.na@example.com"),
    AdviserContact("Zhou Min"),
    AdviserContact(None, left=True),
    AdviserContact(None),
    None,
)


def _items(message: StrategyMessage, locale: str) -> list[ShelfItem]:
    """The products `message` names as its renderer gives them: from the shelf, named in the reader's language (the
    shelf has no Traditional names: a zh_Hant reader reads the Simplified one in Traditional characters)."""
    return [
        ShelfItem(product.product_id, product_name(product.name_en, product.name_zh, None, locale),
                  product.category.value, product.risk_level, product.min_investment)
        for product in (SHELF_BY_ID[product_id] for product_id in message.products)
    ]


def _render(i18n: I18n, message: StrategyMessage, locale: str, adviser: AdviserContact | None) -> str:
    with i18n.use_locale(locale):
        return render_string(message.bodies[locale], client_name=CLIENT_NAME, adviser=adviser,
                             products=_items(message, locale))


# --- what ships --------------------------------------------------------------------------------------------


def test_every_survey_of_the_issue_ships_with_its_scales() -> None:
    assert template_ids(CampaignKind.SURVEY) == sorted(SURVEYS)
    for survey_id, questions in SURVEYS.items():
        survey = load_survey(survey_id)
        assert survey.id == survey_id
        assert [(q.id, q.scale, q.comment is not None) for q in survey.questions] == questions, survey_id
        assert survey.question(len(questions)) is None
        assert survey.question(-1) is None


def test_every_strategy_of_the_method_has_its_message() -> None:
    assert template_ids(CampaignKind.STRATEGY) == sorted(STRATEGY_MESSAGES)
    served = {strategy for strategies in STRATEGIES.values() for strategy in strategies}
    for message_id in STRATEGY_MESSAGES:
        message = load_strategy(message_id)
        assert message.strategy == message_id
        assert message.strategy in served


def test_every_survey_is_complete_in_every_locale() -> None:
    for survey_id in template_ids(CampaignKind.SURVEY):
        survey = load_survey(survey_id)
        assert set(survey.titles) == set(survey.intros) == set(LOCALES), survey_id
        for question in survey.questions:
            where = f"{survey_id}.{question.id}"
            assert set(question.texts) == set(question.low) == set(question.high) == set(LOCALES), where
            assert question.comment is None or set(question.comment) == set(LOCALES), where
            for locale in LOCALES:
                # The two ends of the scale say different things, and the question is a question (or a statement
                # quoted for the reader to rate, closed by the locale's quotation mark: ” or Traditional 」).
                assert question.low[locale] != question.high[locale], where
                assert question.texts[locale].endswith(("?", "？", "”", "」", ".")), where


def test_every_strategy_message_is_complete_in_every_locale() -> None:
    for message_id in template_ids(CampaignKind.STRATEGY):
        message = load_strategy(message_id)
        assert set(message.titles) == set(message.bodies) == set(LOCALES), message_id


def test_strategy_bodies_promise_nothing_and_press_no_one(i18n: I18n) -> None:
    for message_id in STRATEGY_MESSAGES:
        message = load_strategy(message_id)
        for locale in LOCALES:
            texts = [message.titles[locale], message.bodies[locale],
                     *(_render(i18n, message, locale, contact) for contact in CONTACTS)]
            for text in texts:
                said = text.replace(RISK_REMINDER[locale], "").lower()
                for word in FORBIDDEN[locale] + UNSUBSCRIBE:
                    assert word not in said, f"{message_id} {locale}: {word}"


def test_products_named_are_on_the_shelf_and_come_with_the_risk_reminder() -> None:
    for message_id in STRATEGY_MESSAGES:
        message = load_strategy(message_id)
        assert all(product_id in SHELF_BY_ID for product_id in message.products), message_id
        for locale in LOCALES:
            # A body lists the products exactly when the file names some, and then reminds of the risk.
            lists = "products" in template_variables(message.bodies[locale])
            assert lists == bool(message.products), f"{message_id} {locale}"
            assert (RISK_REMINDER[locale] in message.bodies[locale]) == bool(message.products), f"{message_id} {locale}"
    # The ordinary tier's self-service names low-threshold, low-risk products; growth a balanced one.
    assert load_strategy("self_service").products == ("FD01", "WM01")
    assert all(SHELF_BY_ID[p].risk_level <= 2 for p in load_strategy("self_service").products)
    assert [SHELF_BY_ID[p].risk_level for p in load_strategy("portfolio_advice").products] == [3]


def test_every_body_renders_for_every_reader_in_both_languages(i18n: I18n) -> None:
    for message_id in STRATEGY_MESSAGES:
        message = load_strategy(message_id)
        for locale in LOCALES:
            for contact in CONTACTS:
                where = f"{message_id} {locale} {contact}"
                text = _render(i18n, message, locale, contact)
                assert text.startswith(SALUTATION[locale]), where
                # Telegram HTML: only <b>, no bare "<" or "&"; paragraphs one blank line apart, nothing left over.
                assert set(re.findall(r"</?[^>]*>", text)) <= {"<b>", "</b>"}, where
                assert text.count("<b>") == text.count("</b>"), where
                assert not re.search(r"&(?!(?:lt|gt|amp|quot|#\d+);)", text), where
                for leftover in ("\n\n\n", "{", "}", "  "):
                    assert leftover not in text, where
                assert all(line == line.strip() for line in text.splitlines()), where
                if contact is not None and contact.adviser:
                    assert contact.adviser in text, where
                if contact is not None and contact.phone and message_id in ("dedicated_adviser", "retention_outreach"):
                    assert contact.phone in text, where


def test_named_products_read_in_the_readers_language_with_their_risk_and_minimum(i18n: I18n) -> None:
    for message_id in ("self_service", "portfolio_advice"):
        message = load_strategy(message_id)
        for locale in LOCALES:
            text = _render(i18n, message, locale, CONTACTS[0])
            for product_id in message.products:
                product = SHELF_BY_ID[product_id]
                with i18n.use_locale(locale):
                    minimum = format_money(product.min_investment)
                names = {reader: product_name(product.name_en, product.name_zh, None, reader) for reader in LOCALES}
                line = next(line for line in text.splitlines() if product_id in line)
                assert f"<b>{names[locale]}</b>" in line
                for other in set(names.values()) - {names[locale]}:
                    assert other not in text
                assert f"R{product.risk_level}" in line
                assert minimum in line
    # The same minimum, written as each locale writes money: a whole amount of 1,000 or more without cents.
    self_service = load_strategy("self_service")
    en = _render(i18n, self_service, "en", None)
    assert "CN¥10,000" in en
    assert "CN¥10,000.00" not in en
    zh = _render(i18n, self_service, "zh_Hans", None)
    assert "¥10,000" in zh
    assert "¥10,000.00" not in zh
    assert "CN¥" not in zh
    hant = _render(i18n, self_service, "zh_Hant", None)
    assert "CN¥10,000" in hant
    assert "CN¥10,000.00" not in hant
    # Names in Traditional characters, converted from the Simplified ones.
    assert "<b>港灣貨幣市場基金A</b>" in hant
    assert "<b>穩盈固收九十天</b>" in hant


def test_a_product_without_a_minimum_reads_so(i18n: I18n) -> None:
    message = load_strategy("self_service")
    free = ShelfItem("FD01", "Harbour Money Market Fund A", "fund", 1, None)
    with i18n.use_locale("en"):
        en = render_string(message.bodies["en"], client_name="Li Na", adviser=None, products=[free])
    with i18n.use_locale("zh_Hans"):
        zh = render_string(message.bodies["zh_Hans"], client_name="李娜", adviser=None, products=[free])
    with i18n.use_locale("zh_Hant"):
        hant = render_string(message.bodies["zh_Hant"], client_name="李娜", adviser=None, products=[free])
    assert "risk level R1, no minimum" in en
    assert "风险等级 R1，无起购金额要求" in zh
    assert "風險等級 R1，無最低申購金額" in hant


def test_the_digest_is_the_files_sha256_and_follows_an_edit(tmp_path: Path) -> None:
    for kind, folder in ((CampaignKind.SURVEY, SURVEYS_DIR), (CampaignKind.STRATEGY, STRATEGIES_DIR)):
        for template_id in template_ids(kind):
            data = (folder / f"{template_id}.toml").read_bytes()
            assert load_template(kind, template_id).digest == hashlib.sha256(data).hexdigest()
    path = tmp_path / "pulse.toml"
    path.write_text(GOOD_SURVEY, encoding="utf-8")
    before = load_survey("pulse", tmp_path)
    path.write_text(GOOD_SURVEY.replace("How are we doing?", "How did we do?"), encoding="utf-8")
    after = load_survey("pulse", tmp_path)
    assert (before.titles["en"], after.titles["en"]) == ("How are we doing?", "How did we do?")
    assert after.digest == hashlib.sha256(path.read_bytes()).hexdigest() != before.digest


def test_the_examples_of_the_docs_are_the_shipped_files(tmp_path: Path) -> None:
    docs = (REPOSITORY / "docs" / "campaigns.md").read_text(encoding="utf-8")
    examples = re.findall(r"```toml\n# templates/(surveys|strategies)/(\w+)\.toml\n(.*?)```", docs, re.DOTALL)
    assert {(folder, name) for folder, name, _text in examples} == {("surveys", "annual_review"),
                                                                    ("strategies", "self_service")}
    for folder, name, text in examples:
        (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
        kind = CampaignKind.SURVEY if folder == "surveys" else CampaignKind.STRATEGY
        shown, shipped = load_template(kind, name, tmp_path), load_template(kind, name)
        assert shown.titles == shipped.titles
        if isinstance(shown, Survey) and isinstance(shipped, Survey):
            assert shown.intros == shipped.intros
            assert shown.questions == shipped.questions
        else:
            assert isinstance(shown, StrategyMessage)
            assert isinstance(shipped, StrategyMessage)
            assert (shown.strategy, shown.products, shown.bodies) == (shipped.strategy, shipped.products,
                                                                       shipped.bodies)


# --- bad files ---------------------------------------------------------------------------------------------

GOOD_SURVEY = """
questions = [
    { id = "recommend", scale = "nps", comment = true },
    { id = "ease", scale = "ces" },
]

[en]
title = "How are we doing?"
intro = "Two short questions."

[en.questions.recommend]
text = "How likely is it that you would recommend us?"
low = "Not at all likely"
high = "Extremely likely"
comment = "Why?"

[en.questions.ease]
text = "The firm made it easy for me to handle my request."
low = "Strongly disagree"
high = "Strongly agree"

[zh_Hans]
title = "我们做得怎么样？"
intro = "两个简短的问题。"

[zh_Hans.questions.recommend]
text = "您有多大可能推荐我们？"
low = "完全不可能"
high = "非常可能"
comment = "为什么？"

[zh_Hans.questions.ease]
text = "公司让我轻松地办好了这项业务。"
low = "非常不同意"
high = "非常同意"

[zh_Hant]
title = "我們做得怎麼樣？"
intro = "兩個簡短的問題。"

[zh_Hant.questions.recommend]
text = "您有多大可能推薦我們？"
low = "完全不可能"
high = "非常可能"
comment = "為什麼？"

[zh_Hant.questions.ease]
text = "公司讓我輕鬆地辦好了這項業務。"
low = "非常不同意"
high = "非常同意"
"""

GOOD_STRATEGY = """
strategy = "self_service"
products = ["FD01"]

[en]
title = "Self-service"
body = '''
Dear {{ client_name }},
{% for product in products %}
• {{ product.name }}: R{{ product.risk_level }}, minimum {{ product.min_investment|money }}
{% endfor %}
'''

[zh_Hans]
title = "自助服务"
body = '''
尊敬的{{ client_name }}：
{% for product in products %}
• {{ product.name }}：R{{ product.risk_level }}，起购金额 {{ product.min_investment|money }}
{% endfor %}
'''

[zh_Hant]
title = "自助服務"
body = '''
{{ client_name }}您好：
{% for product in products %}
• {{ product.name }}：R{{ product.risk_level }}，最低申購金額 {{ product.min_investment|money }}
{% endfor %}
'''
"""


def _changed(good: str, old: str, new: str, count: int = 1) -> str:
    assert old in good, old
    return good.replace(old, new, count)


def _without(good: str, table: str) -> str:
    """`good` without the table `[table]` and its keys."""
    start = good.index(f"[{table}]\n")
    end = good.find("\n[", start + 1)
    return good[:start] + (good[end + 1:] if end >= 0 else "")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (_without(GOOD_SURVEY, "zh_Hans.questions.ease"),
         ("zh_Hans.questions.ease: is missing (every question is given in every locale: en, zh_Hans, zh_Hant).",)),
        (_changed(GOOD_SURVEY, 'low = "Not at all likely"\n', ""),
         ("en.questions.recommend.low: is missing (every text is given in every locale",)),
        (_changed(GOOD_SURVEY, 'intro = "两个简短的问题。"', 'intro = "  "'),
         ("zh_Hans.intro: must be text that is not empty",)),
        (_changed(GOOD_SURVEY, 'title = "How are we doing?"', 'titel = "How are we doing?"'),
         ("en.titel: is not a key of this file (did you mean “title”?).",)),
        (_changed(GOOD_SURVEY, "scale = \"ces\" }", "scale = \"ces\", coment = true }"),
         ("questions[1].coment: is not a key of this file (did you mean “comment”?).",)),
        (_changed(GOOD_SURVEY, 'scale = "nps"', 'scale = "nsp"'),
         ("questions[0].scale: must be one of nps, csat, ces.",)),
        (_changed(GOOD_SURVEY, 'id = "ease"', 'id = "recommend"'),
         ("questions[1].id: names a question asked before.",)),
        (_changed(GOOD_SURVEY, 'id = "ease"', 'id = "Ease!"'), ("questions[1].id: must be an id",)),
        (_changed(GOOD_SURVEY, "comment = true", 'comment = "yes"'), ("questions[0].comment: must be true or false.",)),
        (_changed(GOOD_SURVEY, 'high = "Strongly agree"\n', 'high = "Strongly agree"\ncomment = "Why?"\n'),
         ("en.questions.ease.comment: is given, but the question asks for no comment",)),
        (GOOD_SURVEY.replace("[zh_Hans", "[zh_hans"),
         ("zh_hans: is not a key of this file (did you mean “zh_Hans”?).",)),
        (GOOD_SURVEY.split("[zh_Hans]")[0], ("zh_Hans: is missing or not a table",)),
        ("questions = []" + GOOD_SURVEY[GOOD_SURVEY.index("\n["):], ("questions: must list one question or more.",)),
        (_changed(GOOD_SURVEY, "[en]", "[en"), ("not valid TOML",)),
    ],
)
def test_a_bad_survey_is_refused_naming_file_and_key(tmp_path: Path, text: str, says: tuple[str, ...]) -> None:
    path = tmp_path / "pulse.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_survey("pulse", tmp_path)
    _one_sentence(str(error.value), path, says)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (_changed(GOOD_STRATEGY, "{{ client_name }},", "{{ client.name }},"),
         ("en.body: uses client, but it knows only adviser, client_name, products and the template globals.",)),
        (_changed(GOOD_STRATEGY, "{% endfor %}", "{% endfro %}", 2).replace("{% endfro %}", "{% endfor %}", 1),
         ("zh_Hans.body: not a valid template: Encountered unknown tag 'endfro'", "(at line 4).")),
        (_changed(GOOD_STRATEGY, "|money }}", "|monie }}"), ("en.body: uses an unknown filter monie.",)),
        (_changed(GOOD_STRATEGY, "{{ product.name }}", "{{ product.name if product is price else '' }}"),
         ("en.body: uses an unknown test price.",)),
        (_changed(GOOD_STRATEGY, "Dear {{ client_name }},", "{{ _('Dear') }} {{ client_name }},"),
         ("en.body: uses gettext",)),
        (_changed(GOOD_STRATEGY, "Dear {{ client_name }},", "{% trans %}Dear{% endtrans %}"),
         ("en.body: uses gettext",)),
        (_changed(GOOD_STRATEGY, 'strategy = "self_service"', 'strategy = "self_servce"'),
         ("strategy: must be one of the method's strategies (did you mean “self_service”?).",)),
        (_changed(GOOD_STRATEGY, 'strategy = "self_service"', 'strategy = "take_risk_assessment"'),
         ("strategy: must be one of the method's strategies: retention_outreach, plans_conversation, introduction,",)),
        (_changed(GOOD_STRATEGY, 'products = ["FD01"]', 'products = ["FD01", "FD01"]'),
         ("products: names a product twice.",)),
        (_changed(GOOD_STRATEGY, 'products = ["FD01"]', 'products = "FD01"'),
         ("products: must be a list of product ids of the shelf.",)),
        (_changed(GOOD_STRATEGY, 'title = "自助服务"\n', ""), ("zh_Hans.title: is missing",)),
        (_changed(GOOD_STRATEGY, 'products = ["FD01"]', 'products = ["FD01"]\nproduct = "WM01"'),
         ("product: is not a key of this file (did you mean “products”?).",)),
    ],
)
def test_a_bad_strategy_message_is_refused_naming_file_and_key(
    tmp_path: Path, text: str, says: tuple[str, ...]
) -> None:
    path = tmp_path / "offer.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_strategy("offer", tmp_path)
    _one_sentence(str(error.value), path, says)


def _one_sentence(message: str, path: Path, says: tuple[str, ...]) -> None:
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    assert message.endswith(".")
    for part in says:
        assert part in message


def test_the_good_files_of_these_tests_load(tmp_path: Path) -> None:
    (tmp_path / "pulse.toml").write_text(GOOD_SURVEY, encoding="utf-8")
    (tmp_path / "offer.toml").write_text(GOOD_STRATEGY, encoding="utf-8")
    survey = load_template(CampaignKind.SURVEY, "pulse", tmp_path)
    message = load_template(CampaignKind.STRATEGY, "offer", tmp_path)
    assert isinstance(survey, Survey)
    assert isinstance(message, StrategyMessage)
    assert [q.bounds for q in survey.questions] == [(0, 10), (1, 7)]
    assert survey.questions[1].comment is None
    assert message.products == ("FD01",)


def test_an_unknown_template_id_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(ContentError) as error:
        load_template(CampaignKind.SURVEY, "relationship_nsp")
    assert str(error.value) == ("There is no survey “relationship_nsp” (did you mean “relationship_nps”?); there "
                                "are: annual_review, effort_ces, relationship_nps, service_csat.")
    with pytest.raises(ContentError) as error:
        load_strategy("../surveys/relationship_nps")
    message = str(error.value)
    assert message.startswith("There is no strategy message “../surveys/relationship_nps”; there are: ")
    assert message.endswith(", ".join(sorted(STRATEGY_MESSAGES)) + ".")


def test_the_refusals_read_in_the_operators_language(tmp_path: Path, i18n: I18n) -> None:
    path = tmp_path / "pulse.toml"
    path.write_text(_changed(GOOD_SURVEY, 'scale = "nps"', 'scale = "nsp"'), encoding="utf-8")
    with i18n.use_locale("zh_Hans"), pytest.raises(ContentError) as error:
        load_survey("pulse", tmp_path)
    assert str(error.value) == f"{path}：questions[0].scale：必须是以下之一：nps, csat, ces。"


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pulse.toml"
    path.write_bytes(GOOD_SURVEY.encode("utf-8").replace(b"Why?", b"Caf\xe9?"))
    with pytest.raises(ContentError) as error:
        load_survey("pulse", tmp_path)
    assert str(error.value) == f"{path}: not UTF-8 text."
