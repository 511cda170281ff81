# syntax-version: type parameter defaults (PEP 696) are Python 3.13 syntax; this worker gets Python 3.12.
# (pyflare check needs a Python newer than the target to see it; older ones name the module in a note.)
import helpers


def first[T = int](items: list[T]) -> T:
    return items[0]


SALT = helpers.make_salt
