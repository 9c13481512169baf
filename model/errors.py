"""Error types raised by the model package."""


class ModelError(Exception):
    """The model file cannot be translated or run, or a run was asked for wrongly."""
