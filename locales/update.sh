#!/usr/bin/env bash
# Re-extract the messages of the code and templates and merge them into every catalog.
# Then translate what is new or fuzzy in locales/*/LC_MESSAGES/messages.po; `tierbot` compiles on start.
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel extract -F pyproject.toml -o locales/messages.pot --no-location --sort-output \
  --project tierbot --copyright-holder tierbot --msgid-bugs-address "" bot handlers tiering templates
for locale in en zh_Hans zh_Hant; do
  pybabel update --no-fuzzy-matching --ignore-obsolete -i locales/messages.pot -d locales -l "$locale"
done
