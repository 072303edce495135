"""An autouse, module-scoped fixture for hf backend tests: tiny models run fastest on one torch thread,
and the test machine's cores are shared. A test module uses it by importing it
(``from tests.backends.single_thread import one_torch_thread  # noqa: F401``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
