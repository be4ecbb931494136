"""docs-compile: one YAML source of truth per ML model, compiled into documents for each audience."""

__version__ = "0.1.0"
