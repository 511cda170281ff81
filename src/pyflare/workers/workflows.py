"""``workers.workflows``: errors a Workflow step raises to stop retrying."""


class NonRetryableError(Exception):
    """Raised in a step to fail the step (and the instance) without further retries."""


__all__ = ["NonRetryableError"]
