# Types for `import js` in a worker: the JavaScript globals pyflare offers (pyflare.workers.js), and
# `Env` (what `self.env` is): any name goes, until `pyflare types` writes one for a config.
from pyflare.workers.bindings import Env as Env
from pyflare.workers.js import *
