"""tierbot: the application around the pure tiering domain (settings, database, import, CLI)."""
