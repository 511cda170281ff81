"""``pyflare workflows``: list workflows and their instances, describe one, trigger, pause, resume, restart,
terminate and send events, as ``wrangler workflows ... --local`` does, on the worker's local state.

Reading works on the stored state directly. Changes go through the state's owner: while ``pyflare dev`` runs
on the same state folder, it picks the command up and applies it (so a running instance really pauses or
receives the event); otherwise the command applies the change itself and the instance carries on when
``pyflare dev`` next starts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from pyflare.cli.common import add_state_options, find_plugin, run_on_local_state

STATUS_LABELS = {
    "complete": "✅ Completed", "errored": "❌ Errored", "paused": "⏸️ Paused", "queued": "⌛ Queued",
    "running": "▶ Running", "terminated": "🚫 Terminated", "waiting": "⏰ Waiting",
    "waitingForPause": "⏱️ Waiting for Pause",
}
STEP_LABELS = {"step": "🎯 Step", "sleep": "💤 Sleeping", "termination": "🚫 Termination",
               "waitForEvent": "👀 Waiting for event"}
STATUS_FILTER = ("queued", "running", "paused", "errored", "terminated", "complete", "waiting", "waitingForPause")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("workflows", help="work with local Workflows and their instances",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="workflows_command", metavar="COMMAND")
    parser.set_defaults(handler=lambda args: _usage(parser))

    list_ = commands.add_parser("list", help="list the worker's workflows")
    add_state_options(list_)
    list_.set_defaults(handler=_list_workflows)

    wdescribe = commands.add_parser("describe", help="show a workflow and how many instances it has per status")
    wdescribe.add_argument("name", help="name of the workflow")
    add_state_options(wdescribe)
    wdescribe.set_defaults(handler=_describe_workflow)

    trigger = commands.add_parser("trigger", help="create an instance (params as a JSON string)")
    trigger.add_argument("name", help="name of the workflow")
    trigger.add_argument("params", nargs="?", default="", help="params for the instance, as JSON")
    trigger.add_argument("--id", default=None, help="instance id (default: a random UUID)")
    add_state_options(trigger)
    trigger.set_defaults(handler=_trigger)

    instances = commands.add_parser("instances", help="list, describe and control instances")
    instance_commands = instances.add_subparsers(dest="instances_command", metavar="COMMAND")
    instances.set_defaults(handler=lambda args: _usage(instances))

    ilist = instance_commands.add_parser("list", help="list the instances of a workflow")
    ilist.add_argument("name", help="name of the workflow")
    ilist.add_argument("--status", default=None, help=f"only instances with this status ({', '.join(STATUS_FILTER)})")
    ilist.add_argument("--reverse", action="store_true", help="oldest first")
    ilist.add_argument("--page", type=int, default=1, help="page to show")
    ilist.add_argument("--per-page", type=int, default=50, help="instances per page")
    ilist.add_argument("--json", action="store_true", help="print JSON")
    add_state_options(ilist)
    ilist.set_defaults(handler=_list_instances)

    describe = instance_commands.add_parser("describe", help="show an instance, its steps and their attempts")
    describe.add_argument("name", help="name of the workflow")
    describe.add_argument("id", nargs="?", default="latest", help="instance id, or 'latest' (default)")
    describe.add_argument("--step-output", action=argparse.BooleanOptionalAction, default=True,
                          help="show each step's output")
    describe.add_argument("--truncate-output-limit", type=int, default=5000, help="truncate outputs longer than this")
    describe.add_argument("--json", action="store_true", help="print JSON")
    add_state_options(describe)
    describe.set_defaults(handler=_describe)

    terminate_all = instance_commands.add_parser("terminate-all", help="terminate every unfinished instance")
    terminate_all.add_argument("name", help="name of the workflow")
    terminate_all.add_argument("--status", default=None, help="only instances with this status")
    add_state_options(terminate_all)
    terminate_all.set_defaults(handler=_terminate_all)

    for parent in (commands, instance_commands):
        for action in ("pause", "resume", "restart", "terminate"):
            sub = parent.add_parser(action, help=f"{action} an instance")
            sub.add_argument("name", help="name of the workflow")
            sub.add_argument("id", help="instance id, or 'latest'")
            add_state_options(sub)
            sub.set_defaults(handler=_control, action=action)
        send = parent.add_parser("send-event", help="send an event to an instance")
        send.add_argument("name", help="name of the workflow")
        send.add_argument("id", help="instance id, or 'latest'")
        send.add_argument("--type", required=True, help="type of the event")
        send.add_argument("--payload", default="{}", help="payload of the event, as JSON")
        add_state_options(send)
        send.set_defaults(handler=_send_event)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _fail(message: str, code: int = 1) -> int:
    print(f"✘ [ERROR] {message}", file=sys.stderr)
    return code


def _plugins(mf: Any) -> list[Any]:
    from pyflare.bindings.workflows import WorkflowsPlugin

    return [plugin for worker in mf.workers.values() for plugin in worker.plugins if isinstance(plugin, WorkflowsPlugin)]


def _plugin(mf: Any, name: str | None) -> Any:
    """The workflows plugin of the worker that runs workflow ``name`` (any worker's when no name is given)."""
    from pyflare.bindings.workflows import WorkflowsPlugin

    if name is None:
        return _plugins(mf)[0]
    return find_plugin(mf, WorkflowsPlugin, lambda p: (p.platform.config.name, p.engine(name).name),
                       f'the workflow "{name}"')


def _run(args: argparse.Namespace, action: Any) -> int:
    async def go(mf: Any) -> int:
        if not _plugins(mf):
            return _fail("this worker's config has no [[workflows]]", 2)
        try:
            return await action(_plugin(mf, getattr(args, "name", None)))
        except LookupError as exc:
            return _fail(str(exc.args[0]) if exc.args else str(exc), 2)
        except Exception as exc:  # binding and command errors carry Cloudflare's texts
            return _fail(str(exc))

    return run_on_local_state(args, go)


def _when(ms: int | None) -> str:
    if ms is None:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _duration(start: int | None, end: int | None) -> str:
    if start is None or end is None:
        return ""
    seconds = (end - start) / 1000
    if seconds < 60:
        return f"{seconds:g} seconds"
    if seconds < 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def _table(rows: list[dict[str, Any]]) -> str:
    from pyflare.cli.d1 import format_table

    columns = list(rows[0])
    return format_table(columns, [[row.get(c, "") for c in columns] for row in rows])


def _latest(engine: Any, instance_id: str, name: str) -> str:
    if instance_id != "latest":
        return instance_id
    rows = engine.index.instances(limit=1)
    if not rows:
        raise LookupError(f'There are no instances in workflow "{name}"')
    print(f'Latest instance is "{rows[0].id}"')
    return rows[0].id


def _list_workflows(args: argparse.Namespace) -> int:
    async def go(mf: Any) -> int:
        plugins = _plugins(mf)
        if not plugins:
            return _fail("this worker's config has no [[workflows]]", 2)
        rows = []
        for plugin in plugins:  # every worker of the configs, each workflow once (where it runs)
            config = plugin.platform.config
            for entry in config.worker.workflows:
                if entry.script_name and entry.script_name != config.name:
                    if any(p.platform.config.name == entry.script_name for p in plugins):
                        continue  # listed with the worker that runs it
                    counts: dict[str, int] = {}
                else:
                    counts = plugin.engine(entry.name).index.status_counts()
                rows.append({"Name": entry.name, "Binding": entry.binding,
                             "Script name": entry.script_name or config.name, "Class name": entry.class_name,
                             "Instances": sum(counts.values())})
        print(f"Showing {len(rows)} workflow{'s' if len(rows) > 1 else ''} from local state:")
        print(_table(rows))
        return 0

    return run_on_local_state(args, go)


def _describe_workflow(args: argparse.Namespace) -> int:
    async def action(plugin: Any) -> int:
        engine = plugin.engine(args.name)
        entry = next(e for e in plugin.platform.config.worker.workflows if e.name == args.name)
        print(_labelled({"Name": engine.name, "Script Name": entry.script_name or plugin.platform.config.name,
                         "Class Name": engine.class_name}))
        counts = engine.index.status_counts()
        if counts:
            print("Instance Status Counts:")
            print(_labelled({status: str(count) for status, count in sorted(counts.items())}, 2))
        return 0

    return _run(args, action)


TERMINABLE = ("queued", "running", "paused", "waitingForPause", "waiting")


def _terminate_all(args: argparse.Namespace) -> int:
    if args.status is not None and args.status not in TERMINABLE:
        return _fail(f'Provided status "{args.status}" is not valid, it must be one of the following: '
                     + ", ".join(TERMINABLE) + ".", 2)

    async def action(plugin: Any) -> int:
        engine = plugin.engine(args.name)
        statuses = (args.status,) if args.status else TERMINABLE
        ids = engine.index.ids_with_status(statuses)
        for instance_id in ids:
            try:
                await plugin.submit(args.name, "terminate", instance_id, {})
            except RuntimeError as exc:  # finished meanwhile: nothing to terminate
                if "instance.cannot_terminate" not in str(exc):
                    raise
        shown = f' with status "{args.status}"' if args.status else ""
        print(f'🥷 {len(ids)} instance{"" if len(ids) == 1 else "s"} from Workflow "{args.name}"{shown} '
              f'{"was" if len(ids) == 1 else "were"} terminated')
        return 0

    return _run(args, action)


def _list_instances(args: argparse.Namespace) -> int:
    if args.status is not None and args.status not in STATUS_FILTER:
        return _fail(f"Looks like you have provided a invalid status \"{args.status}\". Valid ones are: "
                     + ", ".join(STATUS_FILTER), 2)

    async def action(plugin: Any) -> int:
        engine = plugin.engine(args.name)
        rows = engine.index.instances(status=args.status, limit=args.per_page,
                                      offset=(args.page - 1) * args.per_page, newest_first=not args.reverse)
        if args.json:
            print(json.dumps([{"id": r.id, "status": r.status, "created_on": r.created_ms,
                               "modified_on": r.modified_ms} for r in rows], indent=2))
            return 0
        if not rows:
            print(f'▲ [WARNING] There are no instances in workflow "{args.name}". You can trigger it with '
                  f'"pyflare workflows trigger {args.name}"' if args.page == 1 else
                  f"▲ [WARNING] No instances found on page {args.page}. Please try a smaller page number.")
            return 0
        print(f"Showing {len(rows)} instance{'s' if len(rows) > 1 else ''} from page {args.page}:")
        print(_table([{"Instance ID": r.id, "Created": _when(r.created_ms),
                       "Modified": _when(r.modified_ms), "Status": STATUS_LABELS.get(r.status, r.status)}
                      for r in rows]))
        return 0

    return _run(args, action)


def _describe(args: argparse.Namespace) -> int:
    async def action(plugin: Any) -> int:
        engine = plugin.engine(args.name)
        info = engine.describe(_latest(engine, args.id, args.name))
        if args.json:
            print(json.dumps(info, indent=2, default=str))
            return 0
        _print_instance(args, info)
        return 0

    return _run(args, action)


def _labelled(values: dict[str, Any], indent: int = 0) -> str:
    width = max(len(k) for k in values) + 1
    return "\n".join(f"{' ' * indent}{(k + ':').ljust(width)} {v}" for k, v in values.items())


def _show(value: Any, limit: int) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "[...output truncated]"


def _print_instance(args: argparse.Namespace, info: dict[str, Any]) -> None:
    head: dict[str, Any] = {"Workflow Name": args.name, "Instance Id": info["id"],
                            "Status": STATUS_LABELS.get(info["status"], info["status"]),
                            "Trigger": "🌎 API" if info["trigger"] == "api" else "🔗 Binding",
                            "Queued": _when(info["queued"])}
    if info["start"]:
        head["Start"] = _when(info["start"])
    if info["end"]:
        head["End"] = _when(info["end"])
    if info["start"]:
        head["Duration"] = _duration(info["start"], info["end"] or None) or "(running)"
    successful = [s["name"] for s in info["steps"] if s["type"] == "step" and s.get("success")]
    if successful:
        head["Last Successful Step"] = successful[-1]
    if info["error"]:
        head["Error"] = f"{info['error']['name']}: {info['error']['message']}"
    if info["output"] is not None and args.step_output:
        head["Output"] = _show(info["output"], args.truncate_output_limit)
    print(_labelled(head))
    for step in info["steps"]:
        print()
        entry: dict[str, Any] = {"Name": step["name"], "Type": STEP_LABELS.get(step["type"], step["type"])}
        if step["type"] == "termination":
            entry["Trigger"] = "api"
            print(_labelled(entry, 2))
            continue
        entry["Start"] = _when(step["start"])
        entry["End"] = _when(step["end"])
        entry["Duration"] = _duration(step["start"], step["end"])
        if step["type"] == "step":
            entry["Success"] = {True: "✅ Yes", False: "❌ No", None: "▶ Running"}[step["success"]]
            if step.get("retryAt"):
                entry["Retries At"] = _when(step["retryAt"])
            if step["output"] is not None and args.step_output:
                entry["Output"] = _show(step["output"], args.truncate_output_limit)
            if step["error"]:
                entry["Error"] = f"{step['error']['name']}: {step['error']['message']}"
        elif step["type"] == "sleep":
            if not step["finished"]:
                entry["Wakes At"] = _when(step["wakeAt"])
        elif step["type"] == "waitForEvent":
            entry["Event Type"] = step["eventType"]
            if not step["finished"]:
                entry["Times Out At"] = _when(step["timeoutAt"])
            if step["output"] is not None and args.step_output:
                entry["Event"] = _show(step["output"], args.truncate_output_limit)
            if step["error"]:
                entry["Error"] = f"{step['error']['name']}: {step['error']['message']}"
        print(_labelled(entry, 2))
        if step["type"] == "step" and step["attempts"]:
            print(_table([{"Attempt": n, "Start": _when(a["start"]), "End": _when(a["end"]),
                           "Duration": _duration(a["start"], a["end"]),
                           "State": "✅ Success" if a["success"] else ("▶ Running" if a["end"] is None else "❌ Error"),
                           "Error": f"{a['error']['name']}: {a['error']['message']}" if a.get("error") else ""}
                          for n, a in enumerate(step["attempts"], start=1)]))


def _trigger(args: argparse.Namespace) -> int:
    try:
        params = json.loads(args.params) if args.params else None
    except ValueError as exc:
        return _fail(f'Error while parsing instance parameters: "{args.params}" with {exc}', 2)

    async def action(plugin: Any) -> int:
        instance_id = await plugin.submit(args.name, "create", args.id, {"params": params})
        print(f'🚀 Workflow instance "{instance_id}" has been queued successfully')
        return 0

    return _run(args, action)


DONE = {"pause": ("⏸️", "paused"), "resume": ("🔄", "resumed"), "restart": ("🥷", "restarted"),
        "terminate": ("🥷", "terminated")}


def _control(args: argparse.Namespace) -> int:
    async def action(plugin: Any) -> int:
        instance_id = _latest(plugin.engine(args.name), args.id, args.name)
        await plugin.submit(args.name, args.action, instance_id, {})
        emoji, past = DONE[args.action]
        print(f'{emoji} The instance "{instance_id}" from {args.name} was {past} successfully')
        return 0

    return _run(args, action)


def _send_event(args: argparse.Namespace) -> int:
    try:
        payload = json.loads(args.payload)
    except ValueError as exc:
        return _fail(f'Error while parsing event payload: "{args.payload}" with {exc}', 2)

    async def action(plugin: Any) -> int:
        instance_id = _latest(plugin.engine(args.name), args.id, args.name)
        await plugin.submit(args.name, "send_event", instance_id, {"type": args.type, "payload": payload})
        shown = f' and payload "{args.payload}"' if payload not in ({}, None) else ""
        print(f'📤 The event with type "{args.type}"{shown} was sent to the instance "{instance_id}" from {args.name}')
        return 0

    return _run(args, action)
