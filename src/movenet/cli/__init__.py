"""The `movenet` command line (`movenet.cli.main:main`), one module per subcommand group."""

from movenet.cli.main import main

__all__ = ["main"]
