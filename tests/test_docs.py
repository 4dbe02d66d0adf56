"""The documentation site: its configuration, the doctest fencing of the API reference, and (slow)
a strict build that documents every public name."""

import importlib
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NAMESPACES = (
    "jaxfp",
    "jaxfp.nn",
    "jaxfp.looped",
    "jaxfp.enumeration",
    "jaxfp.certify",
    "jaxfp.probe",
    "jaxfp.kernels",
    "jaxfp.examples",
)
pytest.importorskip("griffe", reason="the docs extra is not installed")
sys.path.insert(0, str(ROOT / "docs"))
from _griffe_doctests import fence_doctests  # noqa: E402  (docs/ is not a package)


def _api_page(namespace: str) -> pathlib.Path:
    name = namespace.removeprefix("jaxfp.") if namespace != "jaxfp" else "jaxfp"
    return ROOT / "docs" / "api" / f"{name}.md"


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_public_namespace_has_a_reference_page_in_the_nav(namespace):
    page = _api_page(namespace)
    assert f"::: {namespace}\n" in page.read_text()
    assert f"api/{page.name}" in (ROOT / "mkdocs.yml").read_text()


def test_every_docs_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = [p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")]
    missing = [page for page in pages if f": {page}" not in nav]
    assert not missing, f"pages not in mkdocs.yml's nav: {missing}"


def test_no_reference_to_the_missing_theory_file():
    cited = [
        str(path.relative_to(ROOT))
        for folder in ("jaxfp", "docs")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".md") and "THEORY.md" in path.read_text()
    ]
    assert not cited, f"cite docs/theory.md instead of THEORY.md in: {cited}"


def test_fence_doctests_wraps_each_block_up_to_the_blank_line():
    text = "Example:\n    >>> 1 + 1\n    2\n\n    Text after.\n>>> x = 1"
    assert fence_doctests(text) == (
        "Example:\n    ```pycon\n    >>> 1 + 1\n    2\n    ```\n\n    Text after.\n"
        "```pycon\n>>> x = 1\n```"
    )


def test_fence_doctests_leaves_fenced_code_alone():
    text = "```python\n>>> inside\n```\nplain"
    assert fence_doctests(text) == text


@pytest.mark.slow
def test_site_builds_strictly_and_documents_every_public_name(tmp_path):
    pytest.importorskip("mkdocstrings_handlers.python")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, (build.stdout + build.stderr)[-3000:]
    undocumented = []
    for namespace in NAMESPACES:
        html = (tmp_path / "api" / _api_page(namespace).stem / "index.html").read_text()
        module = importlib.import_module(namespace)
        for name in dir(module):
            if name.startswith("_") or isinstance(getattr(module, name), type(module)):
                continue
            if f'id="{namespace}.{name}"' not in html:
                undocumented.append(f"{namespace}.{name}")
    assert not undocumented, f"public names missing from the API reference: {undocumented}"
