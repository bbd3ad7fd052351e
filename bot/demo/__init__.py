"""The demo data set: a reproducible Chinese retail wealth book in the import format, drawn from a product shelf
(`shelf`), clients and advisers (`clients`, `names`), their holdings, transactions and interactions over a
statement window (`timeline`), and written to CSV files by `generate_demo_data` (`generator`)."""

from bot.demo.generator import HEADERS, DemoSummary, generate_demo_data

__all__ = ["HEADERS", "DemoSummary", "generate_demo_data"]
