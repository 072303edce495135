"""Analysis: compare, statistics, consistency, drift, confounders, calibration, gate, report models."""
