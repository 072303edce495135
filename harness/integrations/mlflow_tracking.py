"""MLflow, as an optional extra (``pip install harness[mlflow]``).

Each gated comparison becomes an MLflow run (experiment ``harness``) with one nested run per
suite and side; metrics are the pass rates, the deltas and the verdict (``verdict_code``: pass 0,
warn 1, inconclusive 2, fail 3; the word is the ``verdict`` tag); the HTML report is an artifact.
On a promotion the registered model (default ``harness-<alias>``) gets a new version, tagged with
the model spec and fingerprint, and the MLflow alias of the same name points at it.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.analysis.report import ComparisonReport
from harness.errors import UsageError

EXPERIMENT = "harness"
VERDICT_CODE = {"pass": 0, "warn": 1, "inconclusive": 2, "fail": 3}


@dataclass(frozen=True)
class MlflowTarget:
    """Where to log: a tracking URI (``sqlite:///mlflow.db``, a server URL) and the registered model."""

    tracking_uri: str
    registered_model: str | None = None


def _mlflow() -> Any:
    try:
        import mlflow
    except ImportError:
        raise UsageError("--mlflow needs MLflow: pip install 'harness[mlflow]'") from None
    return mlflow


def log_gate(target: MlflowTarget, report: ComparisonReport, *, alias: str, candidate: str,
             champion: str, outcome: str) -> str:
    """Log a gated comparison (and its runs) to MLflow; return the MLflow run id."""
    from harness.reporters.html import render_comparison_html

    mlflow = _mlflow()
    mlflow.set_tracking_uri(target.tracking_uri)
    mlflow.set_registry_uri(target.tracking_uri)
    experiment = mlflow.set_experiment(EXPERIMENT)
    tags = {"harness.kind": "comparison", "harness.alias": alias, "harness.outcome": outcome,
            "verdict": report.verdict, "harness.comparison_id": report.comparison_id or ""}
    with mlflow.start_run(run_name=f"gate @{alias}", experiment_id=experiment.experiment_id, tags=tags) as run:
        mlflow.log_params({"baseline": champion[:500], "candidate": candidate[:500], "alias": alias})
        mlflow.log_metric("verdict_code", VERDICT_CODE[report.verdict])
        for suite in report.suites:
            mlflow.log_metrics(_suite_metrics(suite))
            for side_name, side in (("baseline", suite.baseline), ("candidate", suite.candidate)):
                with mlflow.start_run(run_name=f"{suite.id} · {side_name}", nested=True,
                                      tags={"harness.kind": "run", "harness.run_id": side.run_id or "",
                                            "harness.suite": suite.id, "harness.side": side_name}):
                    mlflow.log_param("model", side.model[:500])
                    mlflow.log_metric("pass_rate", side.pass_rate)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "report.html"
            path.write_text(render_comparison_html(report), encoding="utf-8")
            mlflow.log_artifact(str(path))
        return str(run.info.run_id)


def _suite_metrics(suite: Any) -> dict[str, float]:
    delta = suite.stats.pass_rate_delta
    if delta is None:
        delta = suite.candidate.pass_rate - suite.baseline.pass_rate
    key = "".join(c if c.isalnum() or c in "-_./ " else "_" for c in suite.id)
    return {f"{key}.baseline_pass_rate": suite.baseline.pass_rate,
            f"{key}.candidate_pass_rate": suite.candidate.pass_rate, f"{key}.pass_rate_delta": delta,
            f"{key}.verdict_code": VERDICT_CODE.get(suite.verdict or "pass", 0)}


def set_registered_alias(target: MlflowTarget, *, alias: str, model_spec: str,
                         fingerprint: dict[str, Any], mlflow_run_id: str | None) -> str:
    """A new version of the registered model for ``model_spec``; the MLflow alias ``alias`` points at it.
    Returns the version."""
    mlflow = _mlflow()
    client = mlflow.MlflowClient(target.tracking_uri, target.tracking_uri)
    name = target.registered_model or f"harness-{alias}"
    if not client.search_registered_models(filter_string=f"name = '{name}'"):
        client.create_registered_model(name, description="Models promoted by `harness gate`.")
    source = f"runs:/{mlflow_run_id}/report.html" if mlflow_run_id else model_spec
    version = client.create_model_version(
        name, source=source, run_id=mlflow_run_id,
        tags={"harness.model_spec": model_spec[:5000], "harness.fingerprint": json.dumps(fingerprint)[:5000]})
    client.set_registered_model_alias(name, alias, version.version)
    return str(version.version)
