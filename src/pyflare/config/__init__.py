"""Configuration: finding and parsing wrangler.toml / wrangler.json(c), environments, .dev.vars secrets."""

from pyflare.config.loader import ConfigError, ResolvedConfig, find_config, load_config
from pyflare.config.models import WorkerConfig

__all__ = ["ConfigError", "ResolvedConfig", "WorkerConfig", "find_config", "load_config"]
