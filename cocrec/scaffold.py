"""The files `cocrec init` writes, shipped inside the package."""

from __future__ import annotations

from importlib import resources


def template(name: str) -> str:
    return resources.files("cocrec").joinpath("templates", name).read_text(encoding="utf-8")
