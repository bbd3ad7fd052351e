from bot.demo.generator import HEADERS, DemoSummary, generate_demo_data

__all__ = ["HEADERS", "DemoSummary", "generate_demo_data"]
