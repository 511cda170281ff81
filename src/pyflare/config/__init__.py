"""Configuration: finding and parsing wrangler.toml / wrangler.json(c), environments, .dev.vars secrets,
and the grammars of config values, checked at load: cron expressions (``cron``), ``[assets]`` options
(``assets``), ``[[workflows]]`` entries (``workflows``), migrations (``migrations``). ``ConfigError`` lives
in the leaf ``errors``; config imports nothing of pyflare above it.
"""

from pyflare.config.errors import ConfigError
from pyflare.config.loader import ResolvedConfig, find_config, load_config
from pyflare.config.models import WorkerConfig

__all__ = ["ConfigError", "ResolvedConfig", "WorkerConfig", "find_config", "load_config"]
