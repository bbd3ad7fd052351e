"""The rules loader: the default file, and one clear sentence for each kind of bad file."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from support.tiering_builders import RULES, RULES_TEXT, client_facts, monthly, rules_with

from tiering import Dimension, RulesError, assess, parse_rules
from tiering.rules import _canonical


def test_the_default_rules_load() -> None:
    assert RULES.version == "2026.1"
    assert RULES.history_months == 12
    assert RULES.asset.mid_from == Decimal("500000")
    assert RULES.asset.high_net_worth_from == Decimal("6000000")
    assert [(t.id, t.name, t.aum_from, t.min_value_score) for t in RULES.tiers] == [
        ("ordinary", "Ordinary", Decimal(0), None),
        ("mid", "Mid-tier", Decimal(500000), None),
        ("high_net_worth", "High-net-worth", Decimal(6000000), None),
    ]
    assert RULES.downgrade.grace_months == 3
    assert RULES.suitability.assessment_valid_months == 24


def test_tier_helpers() -> None:
    assert RULES.rank("mid") == 1
    assert RULES.rank("private") is None
    assert RULES.tier("high_net_worth").name == "High-net-worth"
    assert [RULES.service_level(t.id) for t in RULES.tiers] == ["ordinary", "mid", "high_net_worth"]


def test_money_may_be_an_integer_and_a_tier_may_need_a_value_score() -> None:
    rules = rules_with('aum_from = "6000000"', 'aum_from = 6000000\nmin_value_score = 60')
    assert rules.tiers[2].aum_from == Decimal(6000000)
    assert rules.tiers[2].min_value_score == 60.0


def test_the_source_names_the_file() -> None:
    with pytest.raises(RulesError, match=r"^rules\.toml: weights\.loyalty: must not be negative$"):
        parse_rules(RULES_TEXT.replace("loyalty = 0.20", "loyalty = -0.2"), source="rules.toml")


@pytest.mark.parametrize(
    ("old", "new", "sentence"),
    [
        # thresholds out of order
        ('aum_from = "6000000"', 'aum_from = "400000"',
         "rules: tiers[2].aum_from: must be greater than tiers[1].aum_from (500000)"),
        ('aum_from = "500000"', 'aum_from = "5000"',
         "rules: tiers[1].aum_from: must be greater than asset.score_from (10000), as the mid segment starts there"),
        ("decline_below = -0.02", "decline_below = 0.05",
         "rules: lifecycle.growth_from: must be greater than lifecycle.decline_below (0.05)"),
        ('aum_from = "0"', 'aum_from = "1000"', "rules: tiers[0].aum_from: must be 0, so that every client has a tier"),
        # unknown keys
        ('score_from = "10000"', 'score_from = "10000"\nmid_frm = "500000"',
         'rules: unknown key "asset.mid_frm" (did you mean "mid_from"?)'),
        ("[weights]", "[weight]", 'rules: unknown key "weight" (did you mean "weights"?)'),
        ('name = "Mid-tier"', 'name = "Mid-tier"\ncolour = "gold"', 'rules: unknown key "tiers[1].colour"'),
        # weights
        ("loyalty = 0.20", "loyalty = -0.2", "rules: weights.loyalty: must not be negative"),
        ("asset_size = 0.35\nactivity = 0.15\nlifecycle = 0.15\ncomplexity = 0.15\nloyalty = 0.20",
         "asset_size = 0\nactivity = 0\nlifecycle = 0\ncomplexity = 0\nloyalty = 0",
         "rules: weights: must not all be zero"),
        # wrong types
        ("new_months = 6", 'new_months = "six"', 'rules: lifecycle.new_months: must be a whole number, not "six"'),
        ("new_months = 6", "new_months = 6.5", "rules: lifecycle.new_months: must be a whole number, not 6.5"),
        ("growth_from = 0.02", "growth_from = true", "rules: lifecycle.growth_from: must be a number, not true"),
        ('version = "2026.1"', "version = 2026", "rules: version: must be non-empty text, not 2026"),
        ('score_from = "10000"', 'score_from = "lots"',
         'rules: asset.score_from: must be an amount of money of at least 0, not "lots"'),
        ('score_from = "10000"', 'score_from = "10000"\nmid_from = "-5"',
         'rules: asset.mid_from: must be an amount of money of at least 0, not "-5"'),
        ('aum_from = "500000"', "aum_from = 500000.5",
         'rules: tiers[1].aum_from: money is written as a string or an integer, e.g. "500000.50", not the float '
         "500000.5"),
        # ranges
        ("p_alive_churn_below = 0.5", "p_alive_churn_below = 1.5",
         "rules: loyalty.p_alive_churn_below: must be at most 1"),
        ("trend_months = 12", "trend_months = 2", "rules: lifecycle.trend_months: must be at least 3"),
        ("flow_months = 12", "flow_months = 13", "rules: loyalty.flow_months: must be at most history_months (12)"),
        ('aum_from = "6000000"', 'aum_from = "6000000"\nmin_value_score = 101',
         "rules: tiers[2].min_value_score: must be at most 100"),
        ('aum_from = "0"', 'aum_from = "0"\nmin_value_score = 10',
         "rules: tiers[0].min_value_score: must not be set, so that every client has a tier"),
        # missing required keys
        ("flow_months = 12\n", "", "rules: loyalty.flow_months: is required"),
        ("[downgrade]\ngrace_months = 3\n", "", "rules: downgrade: is required"),
        ('id = "mid"\n', "", "rules: tiers[1].id: is required"),
        # tiers
        ('id = "mid"', 'id = "ordinary"', 'rules: tiers[1].id: "ordinary" names an earlier tier too'),
        ('id = "mid"', 'id = "Mid Tier"',
         'rules: tiers[1].id: must be up to 32 lowercase letters, digits and _, not "Mid Tier"'),
        # the asset segments start at the tiers' lines
        ('starts_segment = "mid"', 'starts_segment = "gold"',
         'rules: tiers[1].starts_segment: must be "mid" or "high_net_worth", not "gold"'),
        ('starts_segment = "high_net_worth"', 'starts_segment = "mid"',
         'rules: tiers[2].starts_segment: "mid" is started by tiers[1] already'),
        ('aum_from = "0"', 'aum_from = "0"\nstarts_segment = "mid"',
         "rules: tiers[0].starts_segment: must not be set: the first tier is where the ordinary segment starts"),
        ('starts_segment = "mid"\n', "",
         'rules: tiers: no tier starts the mid segment: add starts_segment = "mid" to the tier whose aum_from is its '
         "line (or, when no tier starts it, write its line as asset.mid_from)"),
        # the same line twice, in [asset] and on the tier, disagreeing
        ('score_from = "10000"', 'score_from = "10000"\nmid_from = "400000"',
         "rules: asset.mid_from: 400000 disagrees with tiers[1].aum_from (500000), where the mid segment starts: "
         "delete asset.mid_from, the tiers' lines are the segments' lines"),
        ('score_from = "10000"', 'score_from = "10000"\nhigh_net_worth_from = "500000"',
         "rules: asset.high_net_worth_from: 500000 disagrees with tiers[2].aum_from (6000000), where the "
         "high_net_worth segment starts"),
        # TOML syntax
        ("[complexity]", "[complexity", "rules: not valid TOML: Expected ']' at the end of a table declaration"),
    ],
)
def test_a_bad_rules_file_gets_one_sentence(old: str, new: str, sentence: str) -> None:
    assert old in RULES_TEXT
    with pytest.raises(RulesError) as error:
        parse_rules(RULES_TEXT.replace(old, new, 1))
    assert str(error.value).startswith(sentence)
    assert "\n" not in str(error.value)


def test_no_tiers_at_all() -> None:
    without_tiers = RULES_TEXT[: RULES_TEXT.index("[[tiers]]")]
    with pytest.raises(RulesError, match=r"^rules: tiers: is required$"):
        parse_rules(without_tiers)
    with pytest.raises(RulesError, match=r"^rules: tiers: must hold at least one entry$"):
        parse_rules("tiers = []\n" + without_tiers)


def test_a_table_given_as_a_value() -> None:
    text = RULES_TEXT.replace("[complexity]\ndiverse_from = 3\n", "")
    text = text.replace("history_months = 12", "history_months = 12\ncomplexity = 3")
    with pytest.raises(RulesError, match=r"^rules: complexity: must be a table$"):
        parse_rules(text)


def test_a_syntax_error_gives_line_and_column() -> None:
    with pytest.raises(RulesError, match=r"\(at line 1, column \d+\)$"):
        parse_rules("version = \n")


def test_a_single_tier_is_enough() -> None:
    # No tier starts the mid or high-net-worth segment: their lines are written in [asset], their only place.
    head = RULES_TEXT[: RULES_TEXT.index("[[tiers]]")].replace(
        'score_from = "10000"', 'score_from = "10000"\nmid_from = "500000"\nhigh_net_worth_from = "6000000"')
    one_tier = parse_rules(head + '[[tiers]]\nid = "all"\nname = "All"\naum_from = 0\n')
    assert [t.id for t in one_tier.tiers] == ["all"]
    assert (one_tier.asset.mid_from, one_tier.asset.high_net_worth_from) == (Decimal(500000), Decimal(6000000))
    assert one_tier.service_level("all") == "ordinary"


def _legacy(mid_from: str = "500000", high_net_worth_from: str = "6000000", text: str = RULES_TEXT) -> str:
    """The rules as files were written before the tiers started the segments: the lines in [asset] as well."""
    return (text.replace('starts_segment = "mid"\n', "").replace('starts_segment = "high_net_worth"\n', "")
            .replace('score_from = "10000"', f'score_from = "10000"\nmid_from = "{mid_from}"\n'
                                             f'high_net_worth_from = "{high_net_worth_from}"'))


def test_the_tiers_lines_are_the_asset_segments_lines() -> None:
    lower = rules_with('aum_from = "500000"', 'aum_from = "100000"')
    assert lower.asset.mid_from == Decimal(100000)
    assert [lower.service_level(t.id) for t in lower.tiers] == ["ordinary", "mid", "high_net_worth"]
    # A client at RMB 200k: ordinary under the default rules; under the lowered line, mid in tier and assets alike.
    facts = client_facts(monthly_aum=monthly(200_000), category_aum={"deposit": Decimal(200_000)})
    before, after = assess(facts, RULES, None), assess(facts, lower, None)
    assert (before.tier, before.dimensions[Dimension.ASSET_SIZE].segment) == ("ordinary", "ordinary")
    assert (after.tier, after.dimensions[Dimension.ASSET_SIZE].segment) == ("mid", "mid")


def test_an_older_file_whose_lines_agree_is_read_as_the_same_rules() -> None:
    legacy = parse_rules(_legacy())
    assert legacy == RULES
    assert legacy.digest() == RULES.digest()


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        # The mid tier's line lowered, asset.mid_from left: clients would be mid-tier but "ordinary" in assets.
        (_legacy(text=RULES_TEXT.replace('aum_from = "500000"', 'aum_from = "100000"')),
         "rules: asset.mid_from: 500000 disagrees with tiers[1].aum_from (100000), the line of the mid tier: delete "
         'asset.mid_from and mark the tier where the mid segment starts with starts_segment = "mid"'),
        # asset.mid_from lowered, the tier left: nothing would change, silently.
        (_legacy(mid_from="100000"),
         "rules: asset.mid_from: 100000 disagrees with tiers[1].aum_from (500000), the line of the mid tier: delete "
         'asset.mid_from and mark the tier where the mid segment starts with starts_segment = "mid"'),
        (_legacy(high_net_worth_from="8000000"),
         "rules: asset.high_net_worth_from: 8000000 disagrees with tiers[2].aum_from (6000000), the line of the "
         "high_net_worth tier: delete asset.high_net_worth_from and mark the tier where the high_net_worth segment "
         'starts with starts_segment = "high_net_worth"'),
    ],
)
def test_an_older_file_whose_lines_disagree_is_refused(text: str, sentence: str) -> None:
    with pytest.raises(RulesError) as error:
        parse_rules(text)
    assert str(error.value) == sentence


def test_a_line_written_in_asset_does_not_take_a_tier_that_starts_the_other_segment() -> None:
    text = RULES_TEXT.replace('starts_segment = "high_net_worth"\n', "").replace(
        'score_from = "10000"', 'score_from = "10000"\nhigh_net_worth_from = "500000"')
    with pytest.raises(RulesError) as error:
        parse_rules(text)
    assert str(error.value) == ("rules: asset.high_net_worth_from: 500000 disagrees with tiers[2].aum_from (6000000), "
                                "the line of the high_net_worth tier: delete asset.high_net_worth_from and mark the "
                                'tier where the high_net_worth segment starts with starts_segment = "high_net_worth"')


def test_an_older_file_whose_tiers_have_other_names_and_a_line_of_no_tier_is_refused() -> None:
    """Tiers named silver and gold, silver lowered to 400k, asset.mid_from left at 500k: without marks, no tier is at
    the written line, so the file would grade 400k-500k clients silver with assets reading "ordinary"."""
    text = (_legacy().replace('id = "mid"', 'id = "silver"').replace('id = "high_net_worth"', 'id = "gold"')
            .replace('aum_from = "500000"', 'aum_from = "400000"'))
    with pytest.raises(RulesError) as error:
        parse_rules(text)
    assert str(error.value) == (
        "rules: asset.mid_from: 500000 is the line of no tier (tiers[1].aum_from = 400000, tiers[2].aum_from = "
        "6000000): the tiers' lines are the segments' lines, so mark the tier where the mid segment starts with "
        'starts_segment = "mid" and delete asset.mid_from')


def test_an_older_two_tier_file_keeps_the_line_no_tier_could_start() -> None:
    """Ordinary and mid only: the high-net-worth line is no tier's, and there is no tier left it could be for."""
    lines = _legacy().split("[[tiers]]")
    text = "[[tiers]]".join(lines[:3])  # the preamble, then the first two tiers
    rules = parse_rules(text)
    assert [tier.id for tier in rules.tiers] == ["ordinary", "mid"]
    assert (rules.asset.mid_from, rules.asset.high_net_worth_from) == (Decimal(500000), Decimal(6000000))


def test_a_setting_added_at_its_default_leaves_the_digest_as_it_was() -> None:
    """The next release's new setting, at a default that keeps the rules as they were, must not make every firm's
    unchanged file look changed (a real run would refuse it)."""

    @dataclasses.dataclass(frozen=True)
    class Before:
        line: Decimal

    @dataclasses.dataclass(frozen=True)
    class After:
        line: Decimal
        added: str | None = None

    assert _canonical(After(Decimal(5))) == _canonical(Before(Decimal(5)))
    assert _canonical(After(Decimal(5), "set")) != _canonical(Before(Decimal(5)))


def test_the_digest_is_of_what_the_rules_say() -> None:
    reworded = RULES_TEXT.replace("# CMB's", "# China Merchants Bank's").replace('aum_from = "500000"',
                                                                                "aum_from   =   500000")
    assert parse_rules(reworded).digest() == RULES.digest()
    assert parse_rules(RULES_TEXT.replace('version = "2026.1"', 'version = "2026.2"')).digest() == RULES.digest()
    assert rules_with("grace_months = 3", "grace_months = 2").digest() != RULES.digest()
    assert rules_with('name = "Mid-tier"', 'name = "Gold"').digest() != RULES.digest()
