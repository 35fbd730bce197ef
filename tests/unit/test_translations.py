"""Every English string in the source has a Swedish translation that keeps its placeholders.

The messages are extracted from the code as it is now (not from messages.pot, which may be
stale), with the same mapping as babel.cfg and the same keywords as the extract command below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

try:  # Babel >= 2.14
    from babel.messages.frontend import parse_mapping_cfg
except ImportError:  # pragma: no cover - older Babel
    from babel.messages.frontend import parse_mapping as parse_mapping_cfg

ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = ROOT / "babel.cfg"
TRANSLATIONS = ROOT / "kiosk" / "translations"
SV_PO = TRANSLATIONS / "sv" / "LC_MESSAGES" / "messages.po"
# The keywords `pybabel extract` is given: the defaults (_, gettext, ngettext...) and the lazy ones.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

FIX_COMMANDS = """\
From the project root, bring the catalogues up to date with the source:

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -c TRANSLATORS: \\
        --no-location --sort-output --project "Store Kiosk" --version 0.1.0 \\
        --copyright-holder "Store Kiosk" -o kiosk/translations/messages.pot .
    .venv/bin/pybabel update -i kiosk/translations/messages.pot -d kiosk/translations \\
        --no-fuzzy-matching --ignore-obsolete

then write the Swedish for every empty msgstr in kiosk/translations/sv/LC_MESSAGES/messages.po
(both msgstr[0] and msgstr[1] for plural entries; keep every %(name)s placeholder; remove any
'#, fuzzy' line) and check it with:

    .venv/bin/pybabel compile --statistics -d kiosk/translations
"""

# A named %-placeholder as Flask-Babel fills them: %(name)s, %(num)d, %(price).2f ...
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _extract() -> dict[tuple[str | tuple[str, ...], str | None], tuple[str, int]]:
    """Each message in the source, with where it first appears."""
    with BABEL_CFG.open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(BABEL_CFG))
    found: dict[tuple[str | tuple[str, ...], str | None], tuple[str, int]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault((message, context), (filename, lineno))
    return found


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str | tuple[str, ...], str | None], tuple[str, int]]:
    found = _extract()
    assert found, "no messages extracted: is babel.cfg right?"
    return found


@pytest.fixture(scope="module")
def swedish() -> Catalog:
    with SV_PO.open("rb") as po:
        return read_po(po, locale="sv")


def _forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _is_translated(message: Message | None, msgid: str | tuple[str, ...], nplurals: int) -> bool:
    if message is None:
        return False
    if isinstance(msgid, tuple) != message.pluralizable:
        return False  # became (or stopped being) an ngettext: the entry is out of date
    forms = _forms(message.string)
    if message.pluralizable and len(forms) != nplurals:
        return False
    return bool(forms) and all(form.strip() for form in forms)


def _describe(msgid: str | tuple[str, ...]) -> str:
    return " | ".join(repr(part) for part in _forms(msgid))


def _report(title: str, lines: Iterable[str]) -> str:
    return f"{title}\n" + "".join(f"  - {line}\n" for line in lines) + "\n" + FIX_COMMANDS


def test_swedish_catalogue_uses_swedish_plural_rules(swedish: Catalog) -> None:
    assert swedish.num_plurals == 2
    assert swedish.plural_expr.replace(" ", "") == "(n!=1)"


def test_every_source_string_has_a_swedish_translation(extracted, swedish: Catalog) -> None:
    missing = [
        f"{_describe(msgid)}  ({filename}:{lineno})"
        for (msgid, context), (filename, lineno) in sorted(extracted.items(), key=lambda i: i[1])
        if not _is_translated(swedish.get(msgid, context), msgid, swedish.num_plurals)
    ]
    assert not missing, _report(
        f"{len(missing)} string(s) in the source have no Swedish translation in {SV_PO.name}:",
        missing,
    )


def test_no_translation_is_fuzzy(swedish: Catalog) -> None:
    fuzzy = [_describe(message.id) for message in swedish if message.id and message.fuzzy]
    if swedish.fuzzy:
        fuzzy.insert(0, 'the header (msgid ""): pybabel compile skips a fuzzy catalogue')
    assert not fuzzy, _report(
        "Fuzzy entries are guesses and are not used; check each one and remove its '#, fuzzy':",
        fuzzy,
    )


def test_translations_keep_the_placeholders(swedish: Catalog) -> None:
    wrong = []
    for message in swedish:
        if not message.id:
            continue
        english = _forms(message.id)
        for index, form in enumerate(_forms(message.string)):
            if not form:
                continue  # reported as missing, not here
            # msgstr[0] answers the singular; every other form answers the plural.
            source = english[min(index, len(english) - 1)]
            expected = sorted(set(PLACEHOLDER.findall(source)))
            actual = sorted(set(PLACEHOLDER.findall(form)))
            if expected != actual:
                wrong.append(f"{source!r} -> {form!r}: expected {expected}, found {actual}")
            elif expected and "%" in PLACEHOLDER.sub("", form).replace("%%", ""):
                # Formatted with its values, so a lone % (say "25 %") raises: write %%.
                wrong.append(f"{source!r} -> {form!r}: a lone '%' must be written '%%'")
    assert not wrong, _report(
        "These translations lose or add placeholders (a KeyError or a lost value at runtime):",
        wrong,
    )
