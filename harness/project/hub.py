"""Cases from a dataset on the Hugging Face hub: ``cases_from: {path: hf://owner/name}``.

The rows are read from the local ``datasets`` cache only (the harness never downloads):
fetch the dataset once with ``datasets.load_dataset`` where a network is allowed.
``harness validate`` does not read them at all (see ``PLACEHOLDER_ROW``).
"""

from __future__ import annotations

import os
from typing import Any

from harness.project.yamlfile import YamlDoc

HUB_SCHEME = "hf://"


def is_hub_path(path: str) -> bool:
    return path.startswith(HUB_SCHEME)


def read_hub_rows(path: str, subset: str | None, split: str | None, doc: YamlDoc,
                  loc: tuple[Any, ...], limit: int | None) -> list[dict[str, Any]]:
    """Rows of one split of a hub dataset, from the local cache; a clear error when absent."""
    name = path[len(HUB_SCHEME):]
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_HUB_OFFLINE"] = "1"
    import datasets

    datasets.disable_progress_bars()
    try:
        loaded = datasets.load_dataset(name, subset, split=split or "test")
    except Exception as exc:  # datasets raises many kinds when a dataset is not cached
        raise doc.error(f"dataset '{name}'{f' ({subset})' if subset else ''} split '{split or 'test'}' is"
                        f" not in the local datasets cache (the harness never downloads): {exc}", loc) from None
    rows = loaded.to_list()
    return rows[:limit] if limit is not None else rows


class PlaceholderRow(dict):
    """A row that has every column (each empty): lets ``validate`` check a suite over a hub
    dataset's columns without the data."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return ""

