"""What a new user trips on first: abbreviated flags, help that points to working commands."""

from __future__ import annotations

import re

import pytest

from langadapt.cli import main
from langadapt.commands import COMMANDS


def test_abbreviated_flags_are_refused(capsys, tmp_path):
    # argparse would take --new-tok as --new-tokens; a typo must be an error, not a guess
    with pytest.raises(SystemExit) as exit_info:
        main(["vocab", "extend", "--base", str(tmp_path), "--new-tok", "50"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --new-tok" in capsys.readouterr().err


def test_every_ls_command_that_help_mentions_works(capsys):
    texts = []
    for name in COMMANDS:
        try:
            main([*name.split(), "--help"])
        except SystemExit:
            pass
        texts.append(capsys.readouterr().out)
    mentioned = set(re.findall(r"`langadapt ls ([\w-]+)`", " ".join(texts)))
    assert "init" in mentioned
    for kind in mentioned:
        assert main(["ls", kind]) == 0, kind
        assert f"{kind}/" in capsys.readouterr().out


# a part the top help names -> the command prefix that shows it is built
PARTS = {"LEP": "propagate", "LUSIFER": "lusifer ", "cross-lingual": "xling ", "TAPIR": "distill "}


def test_top_help_advertises_only_what_is_built(capsys):
    main(["--help"])
    text = capsys.readouterr().out
    for part, prefix in PARTS.items():
        built = any(c.startswith(prefix) for c in COMMANDS)
        assert (part in text) == built, f"{part}: named in --help {part in text}, built {built}"
