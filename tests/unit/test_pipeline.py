from __future__ import annotations

import textwrap

import pytest

from langadapt.errors import ConfigError
from langadapt.pipeline import load_pipeline, run


def write(tmp_path, text):
    p = tmp_path / "p.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def test_a_command_that_is_not_a_stage_is_refused(tmp_path):
    for command in ("ls", "demo", "run", "validate"):
        p = write(tmp_path, f"stages:\n  - {{name: a, command: {command}}}\n")
        with pytest.raises(ConfigError, match=f"'{command}' is not a stage"):
            run(p)


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("stages: []\n", "non-empty list"),
        ("stagez: []\n", "unknown key"),
        ("stages:\n  - {name: a}\n", "needs 'name' and 'command'"),
        ("stages:\n  - {name: a, command: ls, opts: {}}\n", "unknown key.*opts"),
        ("stages:\n  - {name: a, command: ls}\n  - {name: a, command: ls}\n", "two stages"),
    ],
)
def test_bad_pipelines(tmp_path, text, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_pipeline(write(tmp_path, text))


def test_bad_references_and_overrides(tmp_path):
    p = write(
        tmp_path,
        """
        stages:
          - {name: a, command: world generate, options: {out: "${b}"}}
    """,
    )
    with pytest.raises(ConfigError, match=r"\$\{b\}"):
        run(p)
    p2 = write(tmp_path, "stages:\n  - {name: a, command: world generate}\n")
    with pytest.raises(ConfigError, match="STAGE.OPTION"):
        run(p2, overrides=["zz.kind=x"])
    with pytest.raises(ConfigError, match="unknown option 'colour'"):
        run(p2, overrides=["a.colour=x"])


def test_overrides_may_refer_to_earlier_stages(tmp_path):
    p = write(
        tmp_path,
        f"""
        run_dir: {tmp_path}/run
        stages:
          - {{name: w, command: world generate, options: {{seed: 0, size: fast}}}}
    """,
    )
    out = run(p, overrides=["w.out=${run_dir}/elsewhere"])
    assert out == tmp_path / "run" / "elsewhere" and (out / "manifest.json").is_file()
    with pytest.raises(ConfigError, match=r"override of pipeline stage 'w' refers to \$\{zz\}"):
        run(p, overrides=["w.out=${zz}/x"])


def test_replace_stale_redoes_a_stage_whose_options_changed(tmp_path, capsys):
    from langadapt.errors import OutputExistsError

    p = write(tmp_path, """
        stages:
          - {name: w, command: world generate, options: {seed: 0, size: fast}}
        """)  # fmt: skip
    run(p, run_dir=tmp_path / "r")
    with pytest.raises(OutputExistsError, match="holds another run"):
        run(p, overrides=["w.seed=1"], run_dir=tmp_path / "r")
    run(p, overrides=["w.seed=1"], run_dir=tmp_path / "r", replace_stale=True)
    assert "holds an older run (other options or inputs); replacing it" in capsys.readouterr().out
    import json

    manifest = json.loads((tmp_path / "r" / "w" / "manifest.json").read_text())
    assert manifest["options"]["seed"] == 1
    (tmp_path / "r" / "x").mkdir()  # a folder that is not a langadapt artifact: never replaced
    (tmp_path / "r" / "x" / "notes.txt").write_text("mine")
    q = write(tmp_path, "stages:\n  - {name: x, command: world generate, options: {size: fast}}\n")
    with pytest.raises(OutputExistsError, match="not a langadapt artifact"):
        run(q, run_dir=tmp_path / "r", replace_stale=True)
    assert (tmp_path / "r" / "x" / "notes.txt").read_text() == "mine"


def test_a_stage_name_with_dashes_takes_overrides(tmp_path):
    import json

    p = write(tmp_path, """
        stages:
          - {name: my-world, command: world generate, options: {seed: 0, size: fast}}
        """)  # fmt: skip
    run(p, overrides=["my-world.seed=3"], run_dir=tmp_path / "r")
    manifest = json.loads((tmp_path / "r" / "my-world" / "manifest.json").read_text())
    assert manifest["options"]["seed"] == 3
    for bad in ("my_world.seed=3", "my-world.=3", "my-world=3", "my-world.seed"):
        with pytest.raises(ConfigError, match="must be STAGE.OPTION with STAGE one of: my-world"):
            run(p, overrides=[bad], run_dir=tmp_path / "r2")
