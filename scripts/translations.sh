#!/bin/sh
# Refresh letterhub's translation catalogues after changing translatable strings:
#
#   1. extract  every _()/gettext/_l() string from letterhub/**.py and templates/ (babel.cfg)
#               into letterhub/translations/messages.pot;
#   2. update   the catalogues of every locale (ar, en) from it: new strings arrive empty,
#               changed strings arrive marked "fuzzy" with their old translation;
#   3. compile  the .po files into the .mo files the application reads.
#
# Usage, from anywhere in the checkout:   scripts/translations.sh
#
# Then translate every new (empty) or fuzzy Arabic entry in
# letterhub/translations/ar/LC_MESSAGES/messages.po (remove the "fuzzy" flag once the
# translation is right), keep every %(placeholder)s, and run the script again to compile.
# English is the source language: its msgstr may stay empty (the msgid is shown), or hold
# a corrected English wording. tests/unit/test_translations.py fails while an Arabic
# string is missing, empty or fuzzy, or while a .mo is older than its .po.
#
# pybabel is taken from the checkout's .venv if there is one, else from PATH; override
# with PYBABEL=/path/to/pybabel.
set -eu

cd "$(dirname "$0")/.."

LOCALES="ar en"
CATALOGS=letterhub/translations
TEMPLATE=$CATALOGS/messages.pot

if [ -z "${PYBABEL:-}" ]; then
    if [ -x .venv/bin/pybabel ]; then PYBABEL=.venv/bin/pybabel; else PYBABEL=pybabel; fi
fi

"$PYBABEL" --quiet extract -F babel.cfg -o "$TEMPLATE" \
    --project=letterhub --copyright-holder="letterhub contributors" \
    --add-comments=Translators: .

for locale in $LOCALES; do
    "$PYBABEL" --quiet update -i "$TEMPLATE" -d "$CATALOGS" -l "$locale" \
        --init-missing --ignore-obsolete --previous --ignore-pot-creation-date
done

"$PYBABEL" compile -d "$CATALOGS" --statistics
