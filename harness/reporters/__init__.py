"""Reporters: turn results and comparisons into files for people and tools."""
