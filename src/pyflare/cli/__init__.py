"""The ``pyflare`` command: ``init`` scaffolds a project, ``dev`` serves a worker, ``tail`` follows its events;
``kv``, ``r2``, ``d1``, ``vectorize``, ``secrets-store``, ``analytics`` and ``workflows`` work on its local state.

Each subcommand lives in its own module with ``register(subparsers)``; commands that touch local state
open the same ``Pyflare`` instance the dev server would (see :func:`pyflare.cli.common.run_on_local_state`).
Help texts are plain text in wrangler's words (they are shown as written, so no markup in them).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys

from pyflare.config import ConfigError
from pyflare.kernel.distribution import MissingDependency

SUBCOMMANDS = ("init", "dev", "tail", "check", "types", "kv", "r2", "d1", "vectorize", "secrets_store", "analytics",
               "workflows")

DESCRIPTION = """\
Run Cloudflare Python Workers on your machine: wrangler dev and Miniflare, for Python.
Commands and flags follow wrangler's; everything works on local state (.pyflare/state)."""

EPILOG = """\
Start here: pyflare init my-worker && cd my-worker && pyflare dev
Each command's flags: pyflare COMMAND --help"""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions keep their line breaks; wide enough for the commands' two-column lists."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32, width=110)

    def _format_action(self, action: argparse.Action) -> str:
        if isinstance(action, argparse._SubParsersAction):  # list the commands, without a COMMAND line
            return "".join(self._format_action(sub) for sub in action._get_subactions())
        return super()._format_action(action)


def build_parser(commands: tuple[str, ...] = SUBCOMMANDS) -> argparse.ArgumentParser:
    """The ``pyflare`` parser with ``commands`` (each command's module is imported to register it)."""
    parser = argparse.ArgumentParser(prog="pyflare", description=DESCRIPTION, formatter_class=HelpFormatter,
                                     epilog=EPILOG)
    parser.add_argument("--version", "-v", action="version", version=f"pyflare {_version()}",
                        help="Show version number")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="COMMANDS")
    for name in commands:
        try:
            module = importlib.import_module(f"pyflare.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pyflare.cli.{name}":
                raise
            continue
        module.register(subparsers)
    _polish(parser)
    return parser


_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def plain_text(text: str | None) -> str | None:
    """Help text as a terminal shows it, in wrangler's style: reStructuredText roles and literals (from
    docstrings) unmarked, and the first word capitalised."""
    if not text or text == argparse.SUPPRESS:
        return text
    text = _LITERAL.sub(r"\1", _ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1], text))
    return text[0].upper() + text[1:] if "a" <= text[0] <= "z" and not text.startswith("pyflare ") else text


def _polish(parser: argparse.ArgumentParser) -> None:
    """Give every (sub)command wrangler's section names and plain help texts, remember which parser is the
    command's own (for its usage in error messages), and let a command group without a subcommand print its
    own help."""
    parser.formatter_class = HelpFormatter
    parser.description = plain_text(parser.description)
    parser.epilog = plain_text(parser.epilog)
    parser._positionals.title = "POSITIONALS"
    parser._optionals.title = "OPTIONS"
    for action in parser._actions:
        action.help = plain_text(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._get_subactions():
                choice.help = plain_text(choice.help)
        if isinstance(action, argparse._HelpAction):
            action.help = "Show help"
        if isinstance(action, argparse._SubParsersAction):
            commands = [g for g in parser._action_groups if action in g._group_actions]
            for group in commands:
                if all(isinstance(a, argparse._SubParsersAction) for a in group._group_actions):
                    group.title = "COMMANDS"
            parser._action_groups[:] = commands + [g for g in parser._action_groups if g not in commands]
            if parser.get_default("handler") is None:
                parser.set_defaults(handler=lambda args, group=parser: _group_help(group))
            for sub in action.choices.values():
                sub.set_defaults(_parser=sub)
                _polish(sub)


def _group_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _version() -> str:
    from pyflare import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    # `pyflare dev ...` imports only dev's module, not every command's (a third of pyflare dev's start-up);
    # anything else (no command, top-level options, a typo) gets the full parser and its list of commands
    command = arguments[0] if arguments and arguments[0] in SUBCOMMANDS else None
    parser = build_parser((command,) if command else SUBCOMMANDS)
    args, extras = parser.parse_known_args(argv)
    if extras:  # the command's own usage, not the top-level one
        (getattr(args, "_parser", None) or parser).error(f"unrecognized arguments: {' '.join(extras)}")
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        print(f"pyflare: {exc}", file=sys.stderr)
        return 2
    except MissingDependency as exc:  # an optional feature's package: one line naming the extra
        print(f"pyflare: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
