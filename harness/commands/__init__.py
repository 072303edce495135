"""CLI command implementations, one module per command, and the pre-merge planner."""
