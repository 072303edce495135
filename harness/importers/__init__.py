"""Importers: suites from other tools' formats (promptfoo configs, lm-evaluation-harness tasks).

An importer reads files only (never runs code from them, never touches the network) and
returns an :class:`~harness.importers.output.ImportResult`: the files to write and what
could not be converted, each with its file, path and reason.
"""
