"""A small error hierarchy; the CLI turns each into a message and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_INFRA = 3


class HarnessError(Exception):
    """Base class: every error the user can act on."""

    exit_code = EXIT_USAGE


class ConfigError(HarnessError):
    """A suite, prompt, config or policy file is invalid. Names file, line and field."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, field: str | None = None) -> None:
        self.file, self.line, self.column, self.field = file, line, column, field
        location = ""
        if file:
            location = file
            if line is not None:
                location += f":{line}"
                if column is not None:
                    location += f":{column}"
        parts = [p for p in (location, f"field '{field}'" if field else "") if p]
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.bare_message = message


class UsageError(HarnessError):
    """The command line asks for something impossible."""


class SecurityError(ConfigError):
    """Input tried to escape a sandbox (template, path, YAML tag)."""


class CodeExecutionNotAllowed(UsageError):
    """A suite has code-tests checks but code execution was not allowed."""


class InfrastructureError(HarnessError):
    """A model, server or store failed; the run could not complete (what finished is kept)."""

    exit_code = EXIT_INFRA
