"""Cross-lingual instruction tuning (Chirkova & Nikoulina, arXiv 2402.14778; docs/xling.md).

Tune on English only, then ask in other languages: `langadapt xling eval` generates answers to
prompt files in several languages and measures, per prompt language, whether the answer is in
that language (language identification, whole answer and line by line: `lid.py`), whether it
follows the prompt's instruction modifier (exact rules: `modifiers.py`), and six judged aspects
(`aspects.py`). `langadapt xling data` turns the paper's training files into `sft` chats.
"""
