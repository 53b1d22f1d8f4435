"""Data files: where the ontology, shapes, data and queries live, and how files map to named graphs.

Installed from a wheel, the files ship inside the package under `server/_bundle/`; run from a checkout
(or an editable install) they are the repository's top-level `ontology/`, `data/ttl/` and `queries/`.
This module only finds and names files; parsing them is the loader's job.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

BASE = "https://w3id.org/bali-process-kg/"
ONTOLOGY_GRAPH = BASE + "def"
SHAPES_GRAPH = BASE + "shapes"
GRAPH_PREFIX = BASE + "graph/"

#: Data file suffixes the loader reads; `.ttl` files get a graph named after the file, the others name
#: their own graphs.
DATA_SUFFIXES = (".ttl", ".trig", ".nq")


def _bundle_root() -> Path:
    """The folder holding `ontology/`, `data/` and `queries/`: inside the wheel, or the checkout."""
    package = Path(__file__).resolve().parent
    bundled = package / "_bundle"
    return bundled if (bundled / "ontology").is_dir() else package.parent


ROOT = _bundle_root()
ONTOLOGY_FILE = ROOT / "ontology" / "bali-process.ttl"
SHAPES_FILE = ROOT / "ontology" / "shapes.ttl"
DEFAULT_DATA_DIR = ROOT / "data" / "ttl"
QUERIES_DIR = ROOT / "queries"


def graph_name_for(path: Path) -> str:
    """The named graph a Turtle data file is loaded into: `graph/<file name without extension>`."""
    return GRAPH_PREFIX + path.stem


@dataclass(frozen=True)
class DataLayout:
    """The files that make one graph: the ontology, the shapes and a folder of data files."""

    data_dir: Path = DEFAULT_DATA_DIR
    ontology_file: Path = ONTOLOGY_FILE
    shapes_file: Path = SHAPES_FILE

    @classmethod
    def for_data_dir(cls, data_dir: Path | None) -> "DataLayout":
        return cls(data_dir=Path(data_dir) if data_dir else DEFAULT_DATA_DIR)

    def data_files(self) -> list[Path]:
        """Data files in a stable order (sorted by name), so loads and versions are reproducible."""
        if not self.data_dir.is_dir():
            raise FileNotFoundError(f"data folder not found: {self.data_dir}")
        return sorted(p for p in self.data_dir.iterdir() if p.suffix in DATA_SUFFIXES and p.is_file())

    def all_files(self) -> list[Path]:
        return [self.ontology_file, self.shapes_file, *self.data_files()]

    def version(self) -> str:
        """A short hash of every file's name and bytes: changes whenever the served graph can change."""
        digest = hashlib.sha256()
        for path in self.all_files():
            digest.update(path.name.encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
        return digest.hexdigest()[:16]
