"""Execute the notebooks and save their figures as PNGs in docs/figures/ for the docs site.

Run from the repository root: `python docs/_export_figures.py` (add `--small` for the notebooks'
small sizes, as the test suite runs them). Writes `docs/figures/<notebook>_<n>.png`, one per
figure, numbered in order of appearance. The site's build does not execute notebooks (it must stay
fast); re-run this script when a notebook's figures change and commit the PNGs.
"""

import argparse
import base64
import os
import pathlib
import tempfile

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures"
CELL_TIMEOUT_SECONDS = 900


def export(notebook_path: pathlib.Path) -> list[pathlib.Path]:
    """Execute one notebook and write each of its PNG outputs to docs/figures/."""
    notebook = nbformat.read(notebook_path, as_version=4)
    with tempfile.TemporaryDirectory() as workdir:
        NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT_SECONDS,
            kernel_name="python3",
            resources={"metadata": {"path": workdir}},
        ).execute()
    written = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            png = output.get("data", {}).get("image/png")
            if png is not None:
                path = FIGURES / f"{notebook_path.stem}_{len(written) + 1}.png"
                path.write_bytes(base64.b64decode(png))
                written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook names (default: all)")
    parser.add_argument("--small", action="store_true", help="the notebooks' small sizes")
    options = parser.parse_args()
    if options.small:
        os.environ["JAXFP_NOTEBOOK_SMALL"] = "1"
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend emits the PNGs
    FIGURES.mkdir(exist_ok=True)
    names = options.notebooks or sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    for name in names:
        for path in export(ROOT / "notebooks" / f"{name}.ipynb"):
            print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
