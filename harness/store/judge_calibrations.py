"""Citing a stored judge calibration in reports on suites graded by that judge."""

from __future__ import annotations

from typing import Any


def calibration_text(judge: str, accuracy: float | None, kappa: float | None, labels: int) -> str:
    """``judge X agrees with human labels on 84% (κ 0.62, 120 labels)``."""
    acc = f"{accuracy:.0%}" if accuracy is not None else "n/a"
    kap = f"κ {kappa:.2f}" if kappa is not None else "κ n/a"
    return f"judge {judge} agrees with human labels on {acc} ({kap}, {labels} labels)"


def latest_calibration_text(store: Any, judge: str) -> str | None:
    """The newest stored calibration of ``judge`` as a sentence; None when it was never calibrated."""
    rows = store.judge_calibrations(judge)
    if not rows:
        return None
    row = rows[0]
    return calibration_text(judge, row["accuracy"], row["kappa"], int(row["labels"]))
