"""Testing: the pytest plugin (fixtures ``pyflare`` and ``pyflare_client``, marker ``pyflare``) and
helpers that tests call on a running :class:`pyflare.Pyflare` (D1 migrations and seeding, queue draining)."""
