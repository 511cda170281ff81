"""Workflows' limits and defaults, as production Cloudflare and workers-sdk's local engine define them."""

from __future__ import annotations

# Instance ids (workflows-shared validators: ALLOWED_STRING_ID_PATTERN, MAX_WORKFLOW_INSTANCE_ID_LENGTH).
INSTANCE_ID_PATTERN = r"^[a-zA-Z0-9_][a-zA-Z0-9\-_]*$"
MAX_INSTANCE_ID_LENGTH = 100
# Workflow names in the config: pyflare.config.workflows.
MAX_STEP_NAME_LENGTH = 256

# Steps per instance: the local default, and what production accepts at most (``limits.steps``).
DEFAULT_STEP_LIMIT = 10_000
PRODUCTION_MAX_STEP_LIMIT = 25_000

# Step results, instance params and event payloads are each limited to 1 MiB once serialised.
MAX_VALUE_BYTES = 1024 * 1024
MAX_BATCH = 100
# step.sleep / sleep_until may not sleep longer than a year.
MAX_SLEEP_MS = 365 * 24 * 3600 * 1000

# The engine's defaults for step.do (workflows-shared context.ts defaultConfig).
DEFAULT_RETRY_LIMIT = 5
DEFAULT_RETRY_DELAY_MS = 1000
DEFAULT_BACKOFF = "exponential"
DEFAULT_STEP_TIMEOUT = "10 minutes"
DEFAULT_EVENT_TIMEOUT = "24 hours"
BACKOFFS = ("constant", "linear", "exponential")

# Instance status names, as status() reports them.
QUEUED, RUNNING, PAUSED, ERRORED, TERMINATED, COMPLETE = "queued", "running", "paused", "errored", "terminated", "complete"
WAITING_FOR_PAUSE, WAITING, UNKNOWN = "waitingForPause", "waiting", "unknown"
STATUSES = (QUEUED, RUNNING, PAUSED, ERRORED, TERMINATED, COMPLETE, WAITING_FOR_PAUSE, WAITING)
FINISHED = (ERRORED, TERMINATED, COMPLETE)
# States in which an instance has work to resume when pyflare starts.
RESUMABLE = (QUEUED, RUNNING, WAITING)

# Compatibility dates from which the SDK and the engine change behaviour.
PYTHON_WORKFLOWS_DATE = "2025-09-20"  # python_workflows: Python Workflows exist at all
IMPLICIT_DEPENDENCIES_DATE = "2026-02-25"  # python_workflows_implicit_dependencies
PRESERVE_NON_RETRYABLE_MESSAGE_DATE = "2026-05-14"  # workflows_preserve_non_retryable_error_message
