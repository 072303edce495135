"""Scoring: check types, the code sandbox, embeddings."""
