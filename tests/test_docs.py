"""The documentation keeps up with the code.

* Every verb and option of ``python -m recon`` (the sandbox portal's included) is in the README's
  command-line section, read from the argparse parsers themselves (the sqlite-utils habit: a new option
  without documentation fails the suite).
* Every file and function the "Follow one document" walk in docs/architecture.md names exists.
* Every reference a comment or docstring cites is a file of this repository (the domain reference under
  docs/reference/), and every section number it cites is a heading of that file.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import io
import re
import tokenize
from pathlib import Path

import pytest

from recon import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ARCHITECTURE = ROOT / "docs/architecture.md"
REFERENCE = ROOT / "docs/reference"
CITING_TREES = ("recon", "views", "app.py", "tests", "benchmarks")
# f-strings are split into parts from Python 3.12 on; their text parts can cite too.
STRING_TOKENS = tuple(getattr(tokenize, t) for t in ("STRING", "FSTRING_MIDDLE") if hasattr(tokenize, t))


# --- CLI verbs and options in the README ------------------------------------------------------------


def cli_commands() -> dict[str, list[str]]:
    """{command as typed after ``-m``: its option strings}, from the parsers the CLI really uses."""
    commands: dict[str, list[str]] = {}
    for action in cli.build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for verb, parser in action.choices.items():
                commands[f"recon {verb}"] = _options(parser)
    return commands


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [
        option
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction)
        for option in action.option_strings
        if option.startswith("--")
    ]


def section(markdown: str, title: str) -> str:
    """The text of the ``## <title>...`` section, up to the next heading of the same level."""
    match = re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"no '## {title}' section"
    return match.group(1)


def synopses(readme: str) -> dict[str, str]:
    """{command: its synopsis line} from the code block of the README's command-line section."""
    block = re.search(r"```bash\n(.*?)```", section(readme, "Command line"), re.S)
    assert block, "the command-line section has no bash block"
    lines = block.group(1).replace("\\\n", " ").splitlines()
    found = {}
    for line in lines:
        command = re.search(r"-m (recon [a-z]+)(?=\s|$)", line)
        if command:
            found[command.group(1)] = line
    return found


def undocumented(readme: str) -> list[str]:
    """Commands and options the parsers know but the README's command-line section does not show."""
    shown = synopses(readme)
    missing = []
    for command, options in cli_commands().items():
        if command not in shown:
            missing.append(command)
            continue
        missing += [
            f"{command} {option}"
            for option in options
            if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", shown[command])
        ]
    return missing


def test_every_cli_verb_and_option_is_in_the_readme():
    assert undocumented(README.read_text(encoding="utf-8")) == []


def test_the_readme_check_notices_a_missing_option_and_a_missing_verb():
    readme = README.read_text(encoding="utf-8")
    without_option = readme.replace("[--keep-flags]", "")
    without_verb = "\n".join(line for line in readme.splitlines() if "-m recon paper" not in line)
    already = set(undocumented(readme))  # reported by the test above; not this test's concern
    assert set(undocumented(without_option)) - already == {"recon actions --keep-flags"}
    assert set(undocumented(without_verb)) - already == {"recon paper"}


# --- Follow one document ------------------------------------------------------------------------------


def walk_steps() -> list[tuple[str, list[str], str]]:
    """(file, names, whole line) per numbered step of the 'Follow one document' section."""
    text = section(ARCHITECTURE.read_text(encoding="utf-8"), "Follow one document")
    steps = []
    for line in text.splitlines():
        if not re.match(r"\d+\. ", line):
            continue
        head = line.split(" — ", 1)[0]
        ticked = re.findall(r"`([^`]+)`", head)
        assert ticked, f"step without a file: {line}"
        steps.append((ticked[0], ticked[1:], line))
    return steps


def defined_names(path: Path) -> set[str]:
    """Top-level functions and classes of a module, and ``Class.method`` for their methods (no import:
    the view modules are Streamlit scripts that run when imported)."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names |= {
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
    return names


def test_follow_one_document_goes_from_a_page_to_the_downloaded_json():
    steps = walk_steps()
    assert len(steps) >= 10, "the walk should name each step from upload to download"
    assert steps[0][0].startswith("views/"), "the walk starts where the consultant uploads the file"
    assert steps[-1][0] == "views/upload.py", "the walk ends where the consultant downloads the JSON"
    named = {(file, name) for file, names, _ in steps for name in names}
    assert ("recon/ims_json/builder.py", "build") in named
    assert ("recon/ims_json/upload.py", "Upload.to_files") in named


@pytest.mark.parametrize(
    ("file", "names", "line"),
    [pytest.param(*step, id=" ".join([step[0], *step[1]])) for step in walk_steps()],
)
def test_each_step_of_follow_one_document_exists(file, names, line):
    path = ROOT / file
    assert path.is_file(), f"{file} does not exist ({line})"
    missing = set(names) - defined_names(path)
    assert not missing, f"{file} defines no {sorted(missing)} ({line})"
    for mentioned in re.findall(r"`([\w/]+\.py)`", line):
        assert (ROOT / mentioned).is_file(), f"{mentioned} does not exist ({line})"


def test_the_walk_names_importable_objects_in_recon():
    """The recon steps also resolve by import, so a name re-exported or moved is caught."""
    for file, names, line in walk_steps():
        if not file.startswith("recon/"):
            continue
        module = importlib.import_module(file.removesuffix(".py").removesuffix("/__init__").replace("/", "."))
        for name in names:
            target = module
            for part in name.split("."):
                assert hasattr(target, part), f"{file}: no {name} ({line})"
                target = getattr(target, part)


# --- Citations resolve inside the repository ------------------------------------------------------------

# A path ending in .md, however it is written.
MD_PATH = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)\b")
# One section number, or a range of them: §4, §2.1, §2-§4, §5-6, §12.2-3, §1–§5.
SECTION = re.compile(r"§\s*(\d+(?:\.\d+)*)(?:\s*[-–]\s*§?\s*(\d+(?:\.\d+)*))?")


def reference_names() -> list[str]:
    return sorted(p.stem for p in REFERENCE.glob("*.md") if p.stem != "README")


def headings(path: Path) -> set[str]:
    """Section numbers of a markdown file's numbered headings ('## 1. X', '### 9.1 Y')."""
    return set(re.findall(r"^#{1,6} (\d+(?:\.\d+)*)\.?\s", path.read_text(encoding="utf-8"), re.M))


def range_ends(start: str, end: str | None) -> list[str]:
    """§12.2-3 cites 12.2 and 12.3; §2-§4 cites 2 and 4; §5-6 cites 5 and 6."""
    if end is None:
        return [start]
    if "." in start and "." not in end:
        end = start.rsplit(".", 1)[0] + "." + end
    return [start, end]


def text_blocks(path: Path) -> list[tuple[int, str]]:
    """(first line, text) of each comment run and each string literal of a Python file."""
    blocks: list[tuple[int, str]] = []
    comment_lines: list[str] = []
    comment_start = last_comment = 0
    for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if token.type == tokenize.COMMENT:
            if comment_lines and token.start[0] == last_comment + 1:
                comment_lines.append(token.string)
            else:
                if comment_lines:
                    blocks.append((comment_start, "\n".join(comment_lines)))
                comment_lines, comment_start = [token.string], token.start[0]
            last_comment = token.start[0]
        elif token.type in STRING_TOKENS:
            blocks.append((token.start[0], token.string))
    if comment_lines:
        blocks.append((comment_start, "\n".join(comment_lines)))
    return blocks


def citation_problems(where: str, text: str) -> list[str]:
    """What is wrong with the citations in one comment run or string."""
    problems = []
    for name in reference_names():
        # A reference file named without its docs/reference/ path points outside the repository.
        for hit in re.finditer(rf"(?<![\w/.-]){re.escape(name)}(?:\.md)?(?![\w-])", text):
            if name != "formats" or hit.group(0).endswith(".md") or text[hit.end() :].startswith(" §"):
                problems.append(f"{where}: '{hit.group(0)}' is not cited as docs/reference/{name}.md")
    marks = sorted(
        [(m.start(), "path", m.group(1)) for m in MD_PATH.finditer(text)]
        + [(m.start(), "section", m) for m in SECTION.finditer(text)],
        key=lambda mark: mark[0],
    )
    current = None
    for _, kind, value in marks:
        if kind == "path":
            current = value
            if not (ROOT / value).is_file():
                problems.append(f"{where}: {value} is not a file of this repository")
            continue
        if current is None:
            problems.append(f"{where}: '{value.group(0)}' cites a section without naming the file")
            continue
        if not (ROOT / current).is_file():
            continue
        known = headings(ROOT / current)
        problems += [
            f"{where}: {current} has no section §{number}"
            for number in range_ends(value.group(1), value.group(2))
            if number not in known
        ]
    return problems


def citing_files() -> list[Path]:
    files = []
    for entry in CITING_TREES:
        path = ROOT / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if f != Path(__file__).resolve() and ".venv" not in f.parts]


def test_every_citation_resolves_to_a_section_of_a_file_in_docs():
    problems = []
    for path in citing_files():
        for line, text in text_blocks(path):
            problems += citation_problems(f"{path.relative_to(ROOT)}:{line}", text)
    assert problems == [], "\n".join(problems)


def test_the_citation_check_notices_what_it_must():
    name = reference_names()[0]
    cited = f"docs/reference/{name}.md"
    section_number = sorted(headings(ROOT / cited))[0]
    assert citation_problems("x", f"see {cited} §{section_number}") == []
    assert citation_problems("x", f"see {cited} §{section_number}, §999") == [
        f"x: {cited} has no section §999"
    ]
    assert citation_problems("x", f"see {name}.md §{section_number}") != []
    assert citation_problems("x", "see docs/nowhere.md §1") != []
    assert citation_problems("x", "only a bare §3 here") == [
        "x: '§3' cites a section without naming the file"
    ]


def test_every_reference_section_the_team_numbered_is_written():
    """The reference keeps the numbering the code was written against: each file has its §1 onwards."""
    for name in reference_names():
        numbers = headings(REFERENCE / f"{name}.md")
        top = sorted(int(n) for n in numbers if "." not in n)
        assert top == list(range(1, len(top) + 1)), f"{name}.md: top-level sections {top}"
