"""The demo data set: a reproducible Chinese wealth book in the import format, drawn from a product shelf
(`shelf`), clients and advisers (`clients`, `names`), their holdings, transactions and interactions over a
statement window (`timeline`), and written to CSV files by `generate_demo_data` (`generator`); then what the demo
shows first (`showcase`): the month-ends it scores and the ids worth trying."""

from bot.demo.generator import HEADERS, DemoSummary, generate_demo_data
from bot.demo.showcase import SCORED_MONTHS, Showcase, pick_showcase, scoring_dates

__all__ = ["HEADERS", "SCORED_MONTHS", "DemoSummary", "Showcase", "generate_demo_data", "pick_showcase",
           "scoring_dates"]
