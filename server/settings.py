"""Settings: every knob of the project in one pydantic-settings class, read from `BALIKG_*` variables.

The README's settings table is generated from (and checked against) the fields here, so each field
carries a description and a default.
"""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of the loader, the CLI and the server."""

    model_config = SettingsConfigDict(env_prefix="BALIKG_", extra="ignore")

    data_dir: Path | None = Field(
        default=None,
        description="Folder of Turtle/TriG/N-Quads data files to serve; empty means the graph shipped with the package.",
    )
    engine: Literal["oxigraph", "rdflib"] = Field(
        default="oxigraph",
        description="Query engine: `oxigraph` (fast, the default) or `rdflib` (the reference engine).",
    )
