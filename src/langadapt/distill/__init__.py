"""TAPIR (Yue et al., arXiv 2405.13448): distil instruction following from a teacher into a
student by choosing what the teacher teaches (docs/distill.md).

Pure cores, each unit-tested by hand: `mfd` (Model Fitting Difficulty, IFD), `taxonomy` (task
labels and their parsing), `balance` (target ratios, exact-count resampling), `dedup` (exact and
near-exact duplicates), `curriculum` (rounds of rising hard share), `winrate` (pairwise and
length-controlled win rates), `evaljudge` (verdicts and figures of evaluate), `mtbench`
(MT-Bench's files and ratings). Stages (`langadapt distill seed|classify|balance|difficulty|
expand|refine|warmup|curriculum|evaluate`; `distill run` runs a pipeline of them)
read and write JSONL records `{"id", "prompt", ...}` through `records`; every teacher, judge and
student call goes through an `llm` Backend and an item log, so a killed stage resumes.
"""

PAPER = (
    "Yue et al., Distilling Instruction-following Abilities of Large Language Models with "
    "Task-aware Curriculum Planning (arXiv 2405.13448)"
)
