"""``pyflare secrets-store``: wrangler's ``secrets-store secret`` commands on the local Secrets Store.

Commands, flags and output follow ``wrangler secrets-store secret`` with ``--local`` (packages/wrangler/src/
secrets-store/commands.ts): ``create STORE_ID --name N --scopes S [--value V] [--comment C]``, ``list``,
``get --secret-id``, ``update --secret-id``, ``delete --secret-id``, ``duplicate --secret-id --name --scopes``.
Without ``--value`` the value is read from a hidden prompt (a terminal) or from stdin (a pipe), so it stays
out of the shell's history. ``secrets-store store list`` lists the local stores that hold secrets (a store
exists locally as soon as a secret is put in it, as in wrangler); ``store create|delete`` only exist remotely
and say so in wrangler's words. Every command opens the state ``pyflare dev`` uses (``.pyflare/state`` beside
the config, or ``--persist-to``), and the store applies the same checks as the API (name, 64 KiB value).
"""

from __future__ import annotations

import argparse
import datetime
import getpass
import sys
from typing import Any

from pyflare.cli.common import add_state_options, run_on_local_state

DESCRIPTION = "Manage the local Secrets Store (wrangler's secrets-store commands, --local)"
VALUE_HELP = ("Value of the secret (Note: Only for testing. Not secure as this will leave secret value in plain-text "
              "in terminal history, exclude this flag and use automatic prompt instead)")
STORE_CREATE_LOCAL = ("Local secrets stores are automatically created for you on use. To create a Secrets Store on "
                      "your account, use the --remote flag.")
STORE_DELETE_LOCAL = ("This command is not supported in local mode. Use `wrangler <cmd> --remote` to delete a "
                      "Secrets Store from your account.")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("secrets-store", help="🔐 Manage the Secrets Store (local)",
                                   description=DESCRIPTION)
    groups = parser.add_subparsers(dest="secrets_store_group", metavar="COMMAND")

    secret = groups.add_parser("secret", help="Manage secrets within a store", description="Manage secrets "
                               "within a store")
    commands = secret.add_subparsers(dest="secret_command", metavar="COMMAND")

    def command(name: str, help_text: str, handler: Any, store_help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("store_id", metavar="store-id", help=store_help)
        add_state_options(sub)
        sub.set_defaults(handler=handler)
        return sub

    create = command("create", "Create a secret within a store", _create, "ID of the store in which the secret "
                     "resides")
    create.add_argument("--name", required=True, help="Name of the secret")
    create.add_argument("--value", default=None, help=VALUE_HELP)
    create.add_argument("--scopes", required=True, help='Scopes for the secret (comma-separated list of scopes '
                        'eg:"workers")')
    create.add_argument("--comment", default=None, help="Comment for the secret")

    listing = command("list", "List secrets within a store", _list, "ID of the store in which to list secrets")
    listing.add_argument("--page", type=int, default=1, help='Page number of secrets listing results, can '
                         'configure page size using "per-page"')
    listing.add_argument("--per-page", type=int, default=10, help="Number of secrets to show per page")

    get = command("get", "Get a secret within a store", _get, "ID of the store in which the secret resides")
    get.add_argument("--secret-id", required=True, help="ID of the secret to retrieve")

    update = command("update", "Update a secret within a store", _update, "ID of the store in which the secret "
                     "resides")
    update.add_argument("--secret-id", required=True, help="ID of the secret to update")
    update.add_argument("--value", default=None, help="Updated " + VALUE_HELP[0].lower() + VALUE_HELP[1:])
    update.add_argument("--scopes", default=None, help='Updated scopes for the secret (comma-separated list of '
                        'scopes eg:"workers")')
    update.add_argument("--comment", default=None, help="Updated comment for the secret")

    delete = command("delete", "Delete a secret within a store", _delete, "ID of the store in which the secret "
                     "resides")
    delete.add_argument("--secret-id", required=True, help="ID of the secret to delete")

    duplicate = command("duplicate", "Duplicate a secret within a store", _duplicate, "ID of the store in which "
                        "the secret resides")
    duplicate.add_argument("--secret-id", required=True, help="ID of the secret to duplicate the secret value of")
    duplicate.add_argument("--name", required=True, help="Name of the new secret")
    duplicate.add_argument("--scopes", required=True, help="Scopes for the new secret")
    duplicate.add_argument("--comment", default=None, help="Comment for the new secret")

    store = groups.add_parser("store", help="Manage Secrets Stores", description="Manage Secrets Stores")
    store_commands = store.add_subparsers(dest="store_command", metavar="COMMAND")
    for name, help_text, message in (("create", "Create a store within an account", STORE_CREATE_LOCAL),
                                     ("delete", "Delete a store within an account", STORE_DELETE_LOCAL)):
        sub = store_commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("name", metavar="name" if name == "create" else "store-id",
                         help="Name of the store" if name == "create" else "ID of the store")
        add_state_options(sub)
        sub.set_defaults(handler=lambda args, message=message: _error(message))
    stores = store_commands.add_parser("list", help="List the local stores that hold secrets",
                                       description="List the local stores that hold secrets")
    add_state_options(stores)
    stores.set_defaults(handler=_list_stores)


# -- plumbing --------------------------------------------------------------------------------------
def _error(message: str, code: int = 1) -> int:
    print(f"✘ [ERROR] {message}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace, action: Any) -> int:
    """Run ``action(store)`` on the local state; the store's refusals become a message and status 1."""
    from pyflare.bindings.secrets_store import SecretsStoreApiError, secret_store_for

    async def go(mf: Any) -> int:
        try:
            return await action(secret_store_for(mf.platform))
        except SecretsStoreApiError as exc:
            return _error(str(exc))

    return run_on_local_state(args, go)


def _read_value(question: str = "Enter a secret value:") -> str:
    """The value from a hidden prompt on a terminal, else from stdin; trailing whitespace trimmed (wrangler)."""
    text = getpass.getpass(question + " ") if sys.stdin.isatty() else sys.stdin.read()
    return text.rstrip()


def _scopes(text: str | None) -> list[str] | None:
    return None if text is None else [s.strip() for s in text.split(",") if s.strip()]


def _local_time(seconds: float) -> str:
    """As JavaScript's ``toLocaleString()`` in en-US: ``12/7/2026, 4:33:40 PM`` (local time)."""
    moment = datetime.datetime.fromtimestamp(seconds)
    hour = moment.hour % 12 or 12
    return (f"{moment.month}/{moment.day}/{moment.year}, {hour}:{moment.minute:02d}:{moment.second:02d} "
            f"{'AM' if moment.hour < 12 else 'PM'}")


def _print_secrets(records: list[Any], *, with_store: bool = True) -> None:
    from pyflare.cli.d1 import format_table

    columns = ["Name", "ID"] + (["StoreID"] if with_store else []) + ["Comment", "Scopes", "Status", "Created",
                                                                      "Modified"]
    rows = [[r.name, r.id] + ([r.store_id] if with_store else []) + [r.comment, ", ".join(r.scopes), r.status,
                                                                     _local_time(r.created), _local_time(r.modified)]
            for r in records]
    print(format_table(columns, rows))


# -- secrets ---------------------------------------------------------------------------------------
def _create(args: argparse.Namespace) -> int:
    from pyflare.bindings.secrets_store import SecretsStoreApiError
    from pyflare.bindings.secrets_store.store import check_name

    try:
        check_name(args.name)  # before asking for a value, as wrangler's validateArgs
    except SecretsStoreApiError as exc:
        return _error(str(exc))
    value = args.value if args.value else _read_value()
    if not value:
        return _error("Need to pass in a value when creating a secret.")

    async def action(store: Any) -> int:
        print(f"\n🔐 Creating secret... (Name: {args.name}, Value: REDACTED, Scopes: {args.scopes}, "
              f"Comment: {args.comment if args.comment is not None else 'undefined'})")
        record = await store.create(args.store_id, args.name, value, _scopes(args.scopes), args.comment or "")
        print(f"✅ Created secret! (ID: {record.id})")
        _print_secrets([record])
        return 0

    return _run(args, action)


def _list(args: argparse.Namespace) -> int:
    if args.page < 1 or args.per_page < 1:
        return _error("--page and --per-page must be at least 1")

    async def action(store: Any) -> int:
        print(f"🔐 Listing secrets... (store-id: {args.store_id}, page: {args.page}, per-page: {args.per_page})")
        records = await store.list(args.store_id)
        start = (args.page - 1) * args.per_page
        page = records[start:start + args.per_page]
        if not page:
            return _error("List request returned no secrets.")
        _print_secrets(page, with_store=False)
        return 0

    return _run(args, action)


def _get(args: argparse.Namespace) -> int:
    async def action(store: Any) -> int:
        print(f"🔐 Getting secret... (ID: {args.secret_id})")
        _print_secrets([await store.get(args.store_id, args.secret_id)])
        return 0

    return _run(args, action)


def _update(args: argparse.Namespace) -> int:
    value = args.value
    if not value and sys.stdin.isatty():
        answer = input("? Do you want to update the secret value? (y/N) ").strip().lower()
        value = _read_value() if answer in ("y", "yes") else None
    if not value and not args.scopes and not args.comment:
        return _error("Need to pass in a new field using `--value`, `--scopes`, or `--comment` to update a secret.")

    async def action(store: Any) -> int:
        print(f"🔐 Updating secret... (ID: {args.secret_id})")
        record = await store.update(args.store_id, args.secret_id, value=value or None, scopes=_scopes(args.scopes),
                                    comment=args.comment)
        print(f"✅ Updated secret! (ID: {record.id})")
        _print_secrets([record])
        return 0

    return _run(args, action)


def _delete(args: argparse.Namespace) -> int:
    async def action(store: Any) -> int:
        print(f"🔐 Deleting secret... (ID: {args.secret_id})")
        await store.delete(args.store_id, args.secret_id)
        print(f"✅ Deleted secret! (ID: {args.secret_id})")
        return 0

    return _run(args, action)


def _duplicate(args: argparse.Namespace) -> int:
    from pyflare.bindings.secrets_store import SecretsStoreApiError
    from pyflare.bindings.secrets_store.store import check_name

    try:
        check_name(args.name)
    except SecretsStoreApiError as exc:
        return _error(str(exc))

    async def action(store: Any) -> int:
        print(f"🔐 Duplicating secret... (ID: {args.secret_id})")
        record = await store.duplicate(args.store_id, args.secret_id, args.name, _scopes(args.scopes),
                                       args.comment or "")
        print(f"✅ Duplicated secret! (ID: {record.id})")
        _print_secrets([record])
        return 0

    return _run(args, action)


def _list_stores(args: argparse.Namespace) -> int:
    async def action(store: Any) -> int:
        print("🔐 Listing stores...")
        ids = await store.stores()
        if not ids:
            return _error("List request returned no stores.")
        from pyflare.cli.d1 import format_table

        print(format_table(["ID", "Secrets"], [[i, str(len(await store.list(i)))] for i in ids]))
        return 0

    return _run(args, action)
