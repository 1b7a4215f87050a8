"""fluxbot: a self-hosted Discord bot that makes and edits images with FLUX models."""

#: The one place the version is written; pyproject.toml reads it from here (hatch's `version.path`).
__version__ = "0.1.0"

import warnings

# discord.py imports `audioop` (for voice, which the bot does not use); Python 3.11 and 3.12 call
# it deprecated. Set here, before anything imports discord, so that no start prints the warning.
warnings.filterwarnings("ignore", message="'audioop' is deprecated", category=DeprecationWarning)
