import os


def make_salt() -> bytes:
    return os.urandom(16)
