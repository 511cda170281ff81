"""``[[workflows]]`` in the config: wrangler's checks and messages."""

from __future__ import annotations

import pytest

from pyflare.config import ConfigError, load_config

ENTRY = "from workers import WorkflowEntrypoint\nclass Flow(WorkflowEntrypoint):\n    async def run(self, event, step):\n        return 1\n"


def load(worker_dir, block: str):
    path = worker_dir(f"""
    name = "w"
    main = "src/entry.py"
    {block}
    """, {"src/entry.py": ENTRY})
    return load_config(path)


def test_a_complete_entry(worker_dir):
    config = load(worker_dir, """
    [[workflows]]
    binding = "FLOW"
    name = "my-flow"
    class_name = "Flow"
    script_name = "w"
    limits = { steps = 500 }
    """)
    [flow] = config.worker.workflows
    assert (flow.binding, flow.name, flow.class_name, flow.limits.steps) == ("FLOW", "my-flow", "Flow", 500)
    assert config.warnings == []


@pytest.mark.parametrize(("block", "message"), [
    ('binding = "FLOW"\nclass_name = "Flow"', '"workflows[0]" bindings should have a string "name" field but got'),
    ('name = "f"\nclass_name = "Flow"', '"workflows[0]" bindings should have a string "binding" field but got'),
    ('binding = "FLOW"\nname = "f"', '"workflows[0]" bindings should have a string "class_name" field but got'),
    ('binding = "FLOW"\nname = "-bad"\nclass_name = "Flow"',
     '"workflows[0]" binding "name" field is invalid. Workflow names must be 1-64 characters long, start with a '
     "letter, number, or underscore, and may only contain letters, numbers, underscores, or hyphens."),
    ('binding = "FLOW"\nname = "f"\nclass_name = "Flow"\nlimits = { steps = 0 }',
     '"workflows[0]" bindings "limits.steps" field must be a positive integer but got 0.'),
    ('binding = "FLOW"\nname = "f"\nclass_name = "Flow"\nscript_name = 3',
     '"workflows[0]" bindings should, optionally, have a string "script_name" field but got'),
])
def test_invalid_entries_get_wranglers_message(worker_dir, block, message):
    with pytest.raises(ConfigError) as info:
        load(worker_dir, "[[workflows]]\n" + block)
    assert message in str(info.value)


def test_a_name_longer_than_64_is_invalid(worker_dir):
    with pytest.raises(ConfigError, match="Workflow names must be 1-64 characters long"):
        load(worker_dir, f'[[workflows]]\nbinding = "F"\nname = "{"a" * 65}"\nclass_name = "Flow"')


def test_a_step_limit_over_production_maximum_warns(worker_dir):
    config = load(worker_dir, '[[workflows]]\nbinding = "F"\nname = "f"\nclass_name = "Flow"\nlimits = { steps = 30000 }')
    assert any("has a step limit of 30,000, which exceeds the production maximum of 25,000" in w
               for w in config.warnings)


def test_binding_names_are_unique_across_kinds(worker_dir):
    with pytest.raises(ConfigError, match='binding "F" is already used'):
        load(worker_dir, '[[kv_namespaces]]\nbinding = "F"\n[[workflows]]\nbinding = "F"\nname = "f"\nclass_name = "Flow"')
