"""History database: runs, per-sample results, comparisons; numbered migrations."""

from harness.store.comparison_cases import ComparisonPage
from harness.store.engine import DEFAULT_URL
from harness.store.rows import (
                                CaseRunRow,
                                CaseStatusRow,
                                ComparisonRow,
                                ComparisonSuiteRow,
                                Page,
                                ResultRow,
                                RunFilter,
                                RunRow,
                                SuiteSummary,
)
from harness.store.run_pages import RunPage
from harness.store.store import Store

__all__ = ["DEFAULT_URL", "CaseRunRow", "CaseStatusRow", "ComparisonPage", "ComparisonRow", "ComparisonSuiteRow",
           "Page", "ResultRow", "RunFilter", "RunPage", "RunRow", "Store", "SuiteSummary"]
