"""The project on disk: YAML loading, paths, config, prompts, suites, validation, scaffolding."""
