"""Runtime: loading a worker's code in isolation, dispatching fetch/scheduled/queue events to it, and the
ASGI app that serves it (``app``), with background-task tracking (``background``)."""
