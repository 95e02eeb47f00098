"""Code a reader can hold in their head: no module over 400 lines in gongshu/, flows/ and tasks/, and
no function over 60 lines unless a comment starting ``# whole:`` (on the lines just above the def, or
the first line of its body) says why it stays whole. Tests, bench scripts, migrations and vendored
files are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("gongshu", "flows", "tasks")
SKIP = ("migrations", "vendor")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _sources():
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if not any(part in SKIP for part in path.parts):
                yield path


def _says_why(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    first = min([d.lineno for d in node.decorator_list] + [node.lineno])
    around = lines[max(first - 4, 0) : node.body[0].lineno]
    return any(line.strip().startswith("# whole:") for line in around)


def long_functions(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES and not _says_why(lines, node):
                found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_module_over_400_lines():
    sizes = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in _sources()}
    assert len(sizes) > 50
    big = [f"{path.relative_to(REPO)} ({n} lines)" for path, n in sizes.items() if n > MAX_MODULE_LINES]
    assert not big, "modules over 400 lines; split them by what they hold:\n" + "\n".join(big)


def test_no_function_over_60_lines_without_a_reason():
    found = [problem for path in _sources() for problem in long_functions(path)]
    assert not found, "functions over 60 lines with no '# whole:' comment saying why:\n" + "\n".join(found)


def test_the_reason_must_be_written(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(61))
    bare = tmp_path / "bare.py"
    bare.write_text("def f():\n" + body, encoding="utf-8")
    why = tmp_path / "why.py"
    why.write_text("# whole: one SQL statement built in order\ndef f():\n" + body, encoding="utf-8")
    global REPO
    saved, REPO = REPO, tmp_path
    try:
        assert long_functions(bare) == ["bare.py:1 f (62 lines)"]
        assert long_functions(why) == []
    finally:
        REPO = saved
