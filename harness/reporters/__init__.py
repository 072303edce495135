"""Reporters: terminal, JSON, JUnit, Markdown, HTML."""
