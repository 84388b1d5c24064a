"""A Jinja prompt template read from a file and checked before any model is asked.

Judges (`llm/judges.py`), TAPIR's pairwise judge and its task classifier all take a prompt
template as a file. A typo in it (a variable the caller never fills, a syntax error) would
otherwise surface only as a failed or empty call, thousands of calls into a job; here it is an
`InputError` naming the file, before the first call.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from langadapt.errors import InputError


def load_template(
    path: Path | None, *, default: Path, variables: Collection[str], what: str, fills: str
):
    """The compiled template in `path` (else `default`), rendering undefined names as errors.

    Args:
        path: the template file, or None for `default`.
        default: the template shipped with the caller.
        variables: every name the caller fills; any other name in the template is an error.
        what: how errors name the file ("judge template", "classification prompt").
        fills: how errors introduce `variables` ("a judge fills only").
    """
    import jinja2
    from jinja2 import meta

    path = Path(path) if path else default
    if not path.is_file():
        raise InputError(f"{what} {path} does not exist; pass a Jinja file")
    source = path.read_text(encoding="utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    try:
        unknown = meta.find_undeclared_variables(env.parse(source)) - set(variables)
        template = env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"{what} {path} line {exc.lineno}: {exc.message}") from None
    if unknown:
        raise InputError(
            f"{what} {path} uses unknown variable(s) {', '.join(sorted(unknown))}; {fills} "
            f"{', '.join(sorted(variables))}"
        )
    return template
