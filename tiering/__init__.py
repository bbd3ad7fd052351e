"""The pure tiering domain: client facts in, dimension scores, tiers and recommendations out.

No I/O here: this package imports neither aiogram, SQLAlchemy nor `bot`.
"""
