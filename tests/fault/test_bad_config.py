"""Config files that used to end in a traceback (exit 1) give one line naming the file and key, and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflare.cli import main

ENTRY = "from workers import Response\ndef on_fetch(request):\n    return Response('ok')\n"

CASES = {
    "impossible cron": ("wrangler.toml", 'main = "src/entry.py"\n[triggers]\ncrons = ["0 0 30 2 *"]\n',
                        'triggers.crons[0]: invalid cron expression "0 0 30 2 *": no date matches it'),
    "NUL in main": ("wrangler.toml", 'main = "src/entry.py\\u0000"\n', "main: contains a NUL character"),
    "lone surrogate in main": ("wrangler.json", '{"main": "src/entry\\ud800.py"}',
                               "main: contains a lone surrogate"),
    "lone surrogate in a queue name": (
        "wrangler.json",
        '{"main": "src/entry.py", "queues": {"consumers": [{"queue": "jobs\\udc00"}]}}',
        "queues.consumers[0].queue: contains a lone surrogate",
    ),
    "deeply nested JSON": ("wrangler.json", '{"main": "src/entry.py", "vars": ' + '{"a": ' * 3000 + "1"
                           + "}" * 3000 + "}", "nested too deeply"),
    "deeply nested TOML": ("wrangler.toml", 'main = "src/entry.py"\n[vars]\nA = ' + "[" * 3000 + "]" * 3000 + "\n",
                           "nested"),
    "a Unicode digit in a cron": ("wrangler.toml", 'main = "src/entry.py"\n[triggers]\ncrons = ["² * * * *"]\n',
                                  'triggers.crons[0]: invalid cron expression "² * * * *": "²" is not a valid minute'),
    "an Arabic-Indic digit in a cron step": ("wrangler.toml",
                                             'main = "src/entry.py"\n[triggers]\ncrons = ["*/٣ * * * *"]\n',
                                             'triggers.crons[0]: invalid cron expression "*/٣ * * * *"'),
    "a newline in main (found by the long fuzz run)": ("wrangler.json", '{"main": "src/\\nentry.py"}',
                                                       "main: src/\\nentry.py does not exist"),
    "main of 5,000 characters": ("wrangler.toml", 'main = "' + "a" * 5000 + '.py"\n',
                                 "main: " + "a" * 120 + "... (5003 characters) does not exist"),
    "nested past the limit": ("wrangler.json", '{"main": "src/entry.py", "vars": ' + "[" * 40 + "]" * 40 + "}",
                              "vars" + "[0]" * 32),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    name, text, expected = CASES[case]
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(ENTRY)
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert main(["dev", "--no-reload", "--port", "0", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"pyflare: {tmp_path / name}")
    assert expected in err
