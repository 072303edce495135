"""harness: tells whether it is safe to roll out a new LLM version or a changed prompt."""

__version__ = "0.1.0"
