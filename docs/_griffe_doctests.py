"""Griffe extension for the docs site: doctests shown as code, re-exports resolved.

jaxfp's docstrings follow the google style with an `Example:` section (and some examples in the
body). Griffe reads only `Examples:` as code, so elsewhere a `>>>` block would be rendered as
Markdown, its output lines read as links. This extension fences every `>>>` block (up to the next
blank line) as a `pycon` code block before rendering; the docstrings themselves stay plain
doctests that pytest runs. (The file is a griffe extension loaded by path from mkdocs.yml, not part
of the site.)
"""

import re

import griffe

_FENCE = "```"
# A Markdown cross-reference, `[text][target]` or `[text][]`, as other libraries write them.
_CROSS_REFERENCE = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")


def fence_doctests(text: str) -> str:
    """Wrap each `>>>` block of `text` (up to the next blank line) in a pycon code fence."""
    out: list[str] = []
    in_fence = in_doctest = False
    indent = ""
    for line in text.split("\n"):
        stripped = line.lstrip()
        if in_doctest and not stripped:
            out.append(f"{indent}{_FENCE}")
            in_doctest = False
        elif not in_doctest and stripped.startswith(_FENCE):
            in_fence = not in_fence
        elif not in_doctest and not in_fence and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}{_FENCE}pycon")
            in_doctest = True
        out.append(line)
    if in_doctest:
        out.append(f"{indent}{_FENCE}")
    return "\n".join(out)


def unlink_cross_references(text: str) -> str:
    """Replace Markdown cross-references `[text][target]` by their text."""
    return _CROSS_REFERENCE.sub(r"\1", text)


def _modules(module):
    yield module
    for member in module.members.values():
        if not member.is_alias and member.is_module:
            yield from _modules(member)


def repoint_shadowed_reexports(package) -> None:
    """Re-point public aliases that griffe resolved to a private submodule of the same name.

    `from .fixed_point import fixed_point` in a private package makes griffe's member
    `fixed_point` the submodule, so `jaxfp.fixed_point` would resolve to a module; the name a user
    imports is the function inside it.
    """
    for module in _modules(package):
        for name, member in list(module.members.items()):
            if not member.is_alias or name.startswith("_"):
                continue
            try:
                target = member.final_target
            except griffe.AliasResolutionError:
                continue
            if target.is_module and name in target.members and "._" in target.path:
                alias = griffe.Alias(name, target.members[name], parent=module)
                alias.public = True
                module.set_member(name, alias)


class FenceDoctests(griffe.Extension):
    """Fence the doctests of every docstring griffe loads.

    Public re-exports shadowed by a private submodule of the same name are re-pointed to the
    object. Objects of other libraries that griffe loads keep their text but lose their
    cross-references, whose targets live in those libraries' sites.
    """

    def on_package(self, *, pkg, **kwargs) -> None:
        if pkg.name == "jaxfp":
            repoint_shadowed_reexports(pkg)

    def on_object(self, *, obj, **kwargs) -> None:
        if obj.docstring is None:
            return
        if obj.package.name != "jaxfp":
            obj.docstring.value = unlink_cross_references(obj.docstring.value)
        if ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
