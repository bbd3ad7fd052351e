"""Template text kept in data files (FAQ answers, strategy messages' bodies), checked before it is ever rendered.

Such text is written in its locale's language, so it calls no gettext, and it may use only the variables its
renderer gives it and the environment's globals. A filter or test in a branch is looked up only when the branch
runs, so they are all checked here, not at the first reader who takes that branch.
"""

from __future__ import annotations

from typing import Final

from jinja2 import TemplateSyntaxError, meta, nodes

from bot.i18n.catalogs import gettext as _
from bot.i18n.rendering import environment

__all__ = ["check_template", "template_variables"]

_GETTEXT: Final = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})


def check_template(text: str, allowed: frozenset[str]) -> str | None:
    """What makes `text` unusable as template text that knows the variables `allowed` (one sentence, to follow
    "file: key: "), or None when it can be rendered."""
    env = environment()
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as error:
        return _invalid(error)
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        if isinstance(node, nodes.Filter) and node.name not in env.filters:
            return _("uses an unknown filter {name}").format(name=node.name)
        if isinstance(node, nodes.Test) and node.name not in env.tests:
            return _("uses an unknown test {name}").format(name=node.name)
    try:
        env.compile(text)
    except TemplateSyntaxError as error:
        return _invalid(error)
    if any(name.name in _GETTEXT for name in tree.find_all(nodes.Name)):
        return _("uses gettext, but the text is already in its locale's language")
    unknown = meta.find_undeclared_variables(tree) - allowed - set(env.globals)
    if unknown:
        return _("uses {names}, but it knows only {known} and the template globals").format(
            names=", ".join(sorted(unknown)), known=", ".join(sorted(allowed)))
    return None


def _invalid(error: TemplateSyntaxError) -> str:
    return _("not a valid template: {error} (at line {line})").format(
        error=(error.message or "").rstrip("."), line=error.lineno)


def template_variables(text: str) -> frozenset[str]:
    """The variables `text` (checked) takes from its renderer: those it uses that are not the globals."""
    env = environment()
    return frozenset(meta.find_undeclared_variables(env.parse(text)) - set(env.globals))
