"""Task files: one YAML per dataset, naming its data, prompt, scoring method and metrics.

A task is data, not code (lm-eval-harness's task YAMLs are the model)::

    name: parus                      # unique name, used on the command line
    group: darumeru-nlu              # groups average their datasets
    dataset:
      path: darumeru/data/parus/test.jsonl     # relative to --data-dir
      fewshot_path: darumeru/data/parus/prompt.jsonl
      id_field: meta.id
      both_orders: [inputs.choice1, inputs.choice2]
    template:
      messages_field: messages       # or system/user/assistant strings with {field}s
      inputs_field: inputs
    method: next-token-choice
    options: {choices: ["1", "2"], answer_field: outputs}
    metrics: [confident_accuracy, accuracy]

Every key is checked: an unknown key, method or metric is a ConfigError that lists the valid
ones. Shipped task files live in `langadapt/evaluate/tasks/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from langadapt import registry
from langadapt.config import load_yaml
from langadapt.errors import ConfigError, InputError
from langadapt.evaluate.methods.bits_per_byte import FIGURES as BPB_METRICS  # noqa: F401 (taskstats)
from langadapt.evaluate.permute import not_permutable

TOP_KEYS = {
    "name",
    "group",
    "description",
    "dataset",
    "template",
    "method",
    "options",
    "metrics",
    "aggregate",
    "download",
    "permute_choices",
}
DATASET_KEYS = {
    "path", "fewshot_path", "id_field", "both_orders", "expand", "options_field", "options_shown"
}  # fmt: skip
TEMPLATE_KEYS = {"system", "user", "assistant", "answer", "messages_field", "inputs_field"}
EXPAND_KEYS = {"field", "as", "label_field"}
DATA_ENV = "LANGADAPT_DARUMERU"


@dataclass
class Task:
    """One parsed, validated task file."""

    name: str
    group: str
    file: Path
    dataset: dict[str, Any]
    template: dict[str, Any]
    method: str
    options: dict[str, Any]
    metrics: list[str]
    aggregate: bool = True
    download: str = ""
    # ask each item once per cyclic rotation of its options (permute.py); the eval option
    # --permute-choices turns it on for every task that can be permuted
    permute_choices: bool = False
    description: str = ""
    data_root: Path | None = field(default=None, repr=False)

    @property
    def primary(self) -> str:
        """The metric that represents this dataset in its group and in Micro-Avg."""
        return self.metrics[0]

    def data_path(self, key: str = "path") -> Path | None:
        """A dataset path, resolved against the data folder (see `resolve_data_root`)."""
        raw = self.dataset.get(key)
        if raw is None:
            return None
        p = Path(str(raw)).expanduser()
        if p.is_absolute():
            return p
        root = self.data_root or self.file.parent
        return root / p

    def check_data(self) -> None:
        """InputError naming the missing folder/file and where to download it from."""
        for key in ("path", "fewshot_path"):
            p = self.data_path(key)
            if p is None or p.exists():
                continue
            root = self.data_root
            hint = f" {self.download.strip()}" if self.download else ""
            where = (
                f"the data folder {root}" if root else f"the task file's folder {self.file.parent}"
            )
            raise InputError(
                f"task '{self.name}': its dataset {p} does not exist (looked in {where}; pass the "
                f"folder with --data-dir or ${DATA_ENV}).{hint}"
            )


def _check_keys(got: dict, valid: set[str], where: str) -> None:
    unknown = sorted(set(got) - valid)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(valid))}"
        )


def load_task(path: Path) -> Task:
    """Parse and validate one task file."""
    path = Path(path)
    raw = load_yaml(path)
    where = f"task file {path}"
    _check_keys(raw, TOP_KEYS, where)
    for key in ("name", "dataset", "method", "metrics"):
        if key not in raw:
            raise ConfigError(f"{where}: missing key '{key}'")
    method = str(raw["method"])
    try:
        traits = registry.get("eval-method", method).traits
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    metrics = raw["metrics"] if isinstance(raw["metrics"], list) else [raw["metrics"]]
    if not metrics:
        raise ConfigError(f"{where}: 'metrics' is empty; name at least one")
    if traits["figures"]:  # the method's own corpus figures, not registered metrics
        bad = sorted(set(map(str, metrics)) - set(traits["figures"]))
        if bad:
            raise ConfigError(
                f"{where}: unknown metric(s) {', '.join(bad)} for {method}; available: "
                f"{', '.join(traits['figures'])}"
            )
    else:
        for m in metrics:
            try:
                registry.get("metric", str(m))
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from None
    dataset = raw["dataset"] if isinstance(raw["dataset"], dict) else {"path": raw["dataset"]}
    _check_keys(dataset, DATASET_KEYS, f"{where}, dataset")
    if "path" not in dataset:
        raise ConfigError(f"{where}: dataset needs a 'path'")
    if "expand" in dataset:
        _check_keys(dataset["expand"], EXPAND_KEYS, f"{where}, dataset.expand")
    template = raw.get("template") or {}
    _check_keys(template, TEMPLATE_KEYS, f"{where}, template")
    options = raw.get("options") or {}
    _check_keys(options, set(traits["options"]), f"{where}, options of {method}")
    if traits["item"] == "choices" and not ("choices" in options or "choices_field" in options):
        raise ConfigError(f"{where}: {method} needs options.choices or options.choices_field")
    permute = raw.get("permute_choices", False)
    if not isinstance(permute, bool):
        raise ConfigError(f"{where}: permute_choices must be true or false, got {permute!r}")
    why = not_permutable(dataset, options) if permute else None
    if why:
        raise ConfigError(
            f"{where}: permute_choices is set, but its options cannot be rotated: {why}"
        )
    return Task(
        name=str(raw["name"]),
        group=str(raw.get("group", raw["name"])),
        file=path,
        dataset=dataset,
        template=template,
        method=method,
        options=options,
        metrics=[str(m) for m in metrics],
        aggregate=bool(raw.get("aggregate", not traits["figures"])),
        download=str(raw.get("download", "")),
        permute_choices=permute,
        description=str(raw.get("description", "")),
    )


def shipped_files() -> list[Path]:
    """The task files shipped with langadapt."""
    folder = resources.files("langadapt.evaluate").joinpath("tasks")
    return sorted(Path(str(folder)).glob("*.yaml"))


def shipped_tasks() -> list[Task]:
    return [load_task(f) for f in shipped_files()]


def resolve_tasks(names: list[str], data_dir: Path | None = None) -> list[Task]:
    """Task names, group names or task files -> tasks (deduplicated, in the order given).

    Relative dataset paths resolve against `data_dir`, else $LANGADAPT_DARUMERU, else (for a
    task file given by path) the task file's own folder.
    """
    root = data_dir or (Path(os.environ[DATA_ENV]) if os.environ.get(DATA_ENV) else None)
    if root is not None and not Path(root).is_dir():
        raise InputError(
            f"data folder {root} does not exist; pass the folder that holds the datasets with "
            f"--data-dir (or ${DATA_ENV})"
        )
    shipped = None
    out: list[Task] = []
    for name in names:
        if name.endswith((".yaml", ".yml")) or Path(name).is_file():
            if not Path(name).is_file():
                raise ConfigError(f"task file {name} does not exist")
            found = [load_task(Path(name))]
        else:
            shipped = shipped if shipped is not None else shipped_tasks()
            found = (
                [t for t in shipped if t.name == name]
                or [t for t in shipped if t.group == name]
                # a collection: "darumeru" selects the groups darumeru-nlu, darumeru-copy, ...
                or [t for t in shipped if t.group.startswith(name + "-")]
            )
            if not found:
                groups = sorted({t.group for t in shipped})
                raise ConfigError(
                    f"unknown task or group '{name}'; tasks: {', '.join(t.name for t in shipped)}; "
                    f"groups: {', '.join(groups)}; or give a task file (.yaml)"
                )
        for t in found:
            if any(o.name == t.name for o in out):
                continue
            t.data_root = Path(root) if root is not None else None
            out.append(t)
    return out
