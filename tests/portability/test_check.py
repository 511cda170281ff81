"""``pyflare check``: each rule on the non-portable sample worker, and no finding where Cloudflare is fine."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from pyflare.cli import main
from pyflare.portability import RULES, check
from pyflare.portability.checker import Checker
from pyflare.portability.targets import Target

SAMPLE = Path(__file__).parent / "nonportable"

# rule -> (file, line) the sample trips it at (see the comments in the sample's files)
EXPECTED = {
    "python-workers-flag": ("wrangler.toml", 7),
    "legacy-handlers": ("src/entry.py", 31),
    "requirements-txt": ("requirements.txt", 1),
    "package-native": ("pyproject.toml", 8),
    "package-no-wheel": ("pyproject.toml", 9),
    "package-version": ("pyproject.toml", 7),
    "package-version-differs": ("pyproject.toml", 6),
    "import-undeclared": ("src/entry.py", 19),
    "module-unavailable": ("src/entry.py", 7),
    "stdlib-version": ("src/entry.py", 32),
    "entropy-at-import": ("src/entry.py", 24),
    "thread": ("src/entry.py", 36),
    "subprocess": ("src/entry.py", 37),
    "socket": ("src/entry.py", 38),
    "server-socket": ("src/entry.py", 40),
    "file-write-bundle": ("src/entry.py", 41),
    "file-write": ("src/entry.py", 42),
}


@pytest.fixture(scope="module")
def sample_report():
    return check(SAMPLE)


def _at(report, rule):
    return [(str(f.path.relative_to(SAMPLE)), f.line) for f in report.findings if f.rule == rule]


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_the_sample_trips_the_rule_where_its_comment_says(sample_report, rule):
    assert EXPECTED[rule] in _at(sample_report, rule)


def test_every_rule_is_tripped_by_the_sample_or_a_test_here():
    elsewhere = {"bundle-size", "syntax-version"}  # need a big upload / a newer Python: tests below
    assert set(RULES) == set(EXPECTED) | elsewhere


def test_the_sample_reports_nothing_it_does_not_do(sample_report):
    # one entropy finding per import-time draw: uuid4, random.seed, secrets, os.urandom via helpers.make_salt()
    entropy = _at(sample_report, "entropy-at-import")
    assert sorted(entropy) == [("src/entry.py", 24), ("src/entry.py", 25), ("src/entry.py", 26),
                               ("src/helpers.py", 5)]
    assert len(_at(sample_report, "socket")) == 2
    assert all(f.severity in ("error", "warning") for f in sample_report.findings)
    assert {f.rule for f in sample_report.warnings} == {"package-version-differs", "file-write"}


def test_the_sample_targets_python_312_and_says_why(sample_report):
    assert sample_report.target.python == "3.12"
    assert sample_report.target.package_index == "0.27.7"
    assert "2025-06-01" in sample_report.target.reason


def test_messages_name_what_fails_with_cloudflares_own_error(sample_report):
    messages = {f.message for f in sample_report.findings}
    assert ("uuid.uuid4() runs at import time; Cloudflare imports the worker once at deploy time to take a memory "
            "snapshot, without entropy, and this raises OSError: [Errno 29] Cannot get entropy outside of request "
            "context") in messages
    assert any("RuntimeError: Cannot use random.seed() outside of request context" in m for m in messages)
    assert any("can't start new thread" in m for m in messages)
    assert all(f.fix for f in sample_report.findings)


def test_newer_syntax_is_reported_or_named_in_a_note(sample_report):
    newer = [f for f in sample_report.findings if f.rule == "syntax-version"]
    if sys.version_info >= (3, 13):
        assert [(str(f.path.relative_to(SAMPLE)), f.line) for f in newer] == [("src/newer.py", 6)]
    else:  # this Python cannot parse PEP 696 syntax at all: the module is named, not judged
        assert not newer
        assert any("newer.py" in note and "cannot parse" in note for note in sample_report.notes)


def test_syntax_newer_than_the_target_is_an_error(worker_dir):
    config = worker_dir('main = "src/entry.py"\ncompatibility_flags = ["python_workers"]\n', {
        "src/entry.py": "match 1:\n    case 1:\n        pass\n",
    })
    checker = Checker(__import__("pyflare").load_config(config))
    checker.target = Target("3.9", "x", "0.28.3", "python_workers", "test")  # older than this interpreter
    checker.run()
    assert [(f.rule, f.line) for f in checker.report.findings] == [("syntax-version", 3)]  # the parser stops at the case body
    assert "Python 3.9 cannot parse this" in checker.report.findings[0].message


def test_exit_status_and_json_for_ci(capsys):
    assert main(["check", str(SAMPLE), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] >= 15 and data["warnings"] == 2
    finding = next(f for f in data["findings"] if f["rule"] == "thread")
    assert finding["path"] == "src/entry.py" and finding["line"] == 36 and finding["severity"] == "error"
    assert finding["sources"] and finding["fix"]
    assert data["target"]["python"] == "3.12"


def test_text_output_gives_file_line_rule_and_fix(capsys):
    assert main(["check", str(SAMPLE)]) == 1
    out = capsys.readouterr().out
    assert "src/entry.py:36: error [thread] threading.Thread() starts a thread" in out
    assert "    fix: do the work inline" in out


def _hello(worker_dir, source: str, *, flags: str = '["python_workers"]', date: str = "2025-11-01",
           files: dict[str, str] | None = None) -> Path:
    return worker_dir(f'name = "w"\nmain = "src/entry.py"\ncompatibility_date = "{date}"\n'
                      f"compatibility_flags = {flags}\n", {"src/entry.py": source, **(files or {})})


def test_a_portable_worker_passes(worker_dir, capsys):
    config = _hello(worker_dir, """
        import random
        import uuid
        from workers import Response, WorkerEntrypoint

        RNG = random.Random(42)  # a seeded generator is fine at import time
        FIRST = RNG.random()

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(f"{uuid.uuid4()} {random.random()}")  # entropy in a request is fine
    """)
    assert main(["check", str(config)]) == 0
    assert "No problems found" in capsys.readouterr().out


def test_guarded_code_is_left_alone(worker_dir):
    config = _hello(worker_dir, """
        import sys
        try:
            import fcntl
        except ImportError:
            fcntl = None
        if sys.platform != "emscripten":
            import threading
            threading.Thread(target=print).start()
        if __name__ == "__main__":
            import subprocess
            subprocess.run(["ls"])
    """)
    assert check(config).findings == []


def test_warnings_alone_exit_zero(worker_dir):
    config = _hello(worker_dir, 'def on_fetch(request):\n    open("log.txt", "a").write("x")\n', date="2025-07-01")
    report = check(config)
    assert [f.rule for f in report.findings] == ["file-write"]
    assert report.exit_status == 0


def test_sockets_work_on_python_314(worker_dir):
    source = "import socket\nasync def on_fetch(request):\n    socket.create_connection(('example.com', 80))\n"
    assert [f.rule for f in check(_hello(worker_dir, source, date="2025-07-01")).findings] == ["socket"]
    config = _hello(worker_dir, source, date="2025-07-01", flags='["python_workers", "python_workers_20260610"]')
    report = check(config)
    assert report.target.python == "3.14" and report.findings == []


def test_entropy_in_a_function_only_counts_when_import_time_code_calls_it(worker_dir):
    config = _hello(worker_dir, """
        import os
        def salt():
            return os.urandom(8)
        def later():
            return os.urandom(8)
        SALT = salt()
        async def on_fetch(request):
            return later()
    """, date="2025-07-01")
    assert [(f.rule, f.line) for f in check(config).findings] == [("entropy-at-import", 4)]


def test_modules_imported_in_a_handler_run_in_a_request(worker_dir):
    config = _hello(worker_dir, "async def on_fetch(request):\n    import lazy\n    return lazy.TOKEN\n",
                    date="2025-07-01", files={"src/lazy.py": "import secrets\nTOKEN = secrets.token_hex(4)\n"})
    assert check(config).findings == []


def test_an_unknown_package_stops_undeclared_import_claims(worker_dir):
    config = _hello(worker_dir, "import yaml\nimport somethingelse\n", date="2025-07-01",
                    files={"pyproject.toml": '[project]\nname = "w"\ndependencies = ["not-installed-anywhere-xyz"]\n'})
    report = check(config)
    assert not [f for f in report.findings if f.rule == "import-undeclared"]
    assert any("not-installed-anywhere-xyz" in note for note in report.notes)


def test_an_undeclared_import_without_dependencies_is_an_error(worker_dir):
    report = check(_hello(worker_dir, "import yaml\n", date="2025-07-01"))
    assert [(f.rule, f.line) for f in report.findings] == [("import-undeclared", 1)]
    assert "pyyaml provides it" in report.findings[0].message


@pytest.mark.parametrize(("size", "severity"), [(4, "warning"), (11, "error")])
def test_bundle_size_against_cloudflares_limits(tmp_path, size, severity):
    project = tmp_path / "project"
    shutil.copytree(SAMPLE, project)
    (project / "python_modules").mkdir()
    blob = project / "python_modules" / "blob.bin"
    with blob.open("wb") as out:  # incompressible, like a vendored extension module
        for _ in range(size):
            out.write(__import__("os").urandom(1024 * 1024))
    report = check(project)
    found = [f for f in report.findings if f.rule == "bundle-size"]
    assert [f.severity for f in found] == [severity]
    assert report.bundle_gzip_bytes > size * 1024 * 1024


def _sample_copy(tmp_path, extra_pyproject: str) -> Path:
    project = tmp_path / "project"
    shutil.copytree(SAMPLE, project)
    with (project / "pyproject.toml").open("a") as out:
        out.write(extra_pyproject)
    return project


def test_pywrangler_allow_build_lets_source_archives_in(tmp_path):
    report = check(_sample_copy(tmp_path, "\n[tool.pywrangler]\nallow-build = true\n"))
    assert not _rules(report, "package-no-wheel") and _rules(report, "package-native")


def test_a_lock_restricted_to_other_platforms_is_no_evidence(tmp_path):
    report = check(_sample_copy(tmp_path, "\n[tool.uv]\nenvironments = [\"sys_platform == 'linux'\"]\n"))
    assert not _rules(report, "package-native") and not _rules(report, "package-no-wheel")
    assert any("environments leave Emscripten out" in note for note in report.notes)


def _rules(report, rule):
    return [f for f in report.findings if f.rule == rule]
