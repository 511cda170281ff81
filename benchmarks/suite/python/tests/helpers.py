"""What the tests share (../../js/test/helpers.js is the same for vitest)."""

import json

from pyflare.testing import apply_d1_migrations, drain


def call(pyflare, path, method="GET", body=None, headers=None):
    return pyflare.client.request(method, path, content=body, headers=headers)


def send(pyflare, path, value, method="POST"):
    return call(pyflare, path, method, json.dumps(value), {"content-type": "application/json"})


async def migrate(pyflare):
    await apply_d1_migrations(pyflare, "DB")


async def job_result(pyflare, job_id):
    """The consumer's result for job ``job_id``, once the queue has delivered it."""
    await drain(pyflare)
    return await pyflare.env.KV.get(f"job:{job_id}")


def total(items):
    return sum(item["price"] * item["qty"] for item in items)
