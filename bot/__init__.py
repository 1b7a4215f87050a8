"""fluxbot: a self-hosted Discord bot that makes and edits images with FLUX models."""

#: The one place the version is written; pyproject.toml reads it from here (hatch's `version.path`).
__version__ = "0.1.0"
