"""Where the repository and the tests' data files are, wherever a test file sits under tests/."""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
TEST_DATA = REPOSITORY / "tests" / "data"
# A small firm in the import format: two advisers, three products, three clients.
GOOD_IMPORT = TEST_DATA / "import" / "good"
