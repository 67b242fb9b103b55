#!/usr/bin/env python3
"""Extracts the example documents of the spec pages into this folder.

The shape tests (SpecShapeTests) compare live documents with these files, so the
suite needs nothing outside the repository. Run it again when a page changes:

    python3 Tests/IntegrationTests/SpecPages/extract_examples.py [SPEC_DIR]

SPEC_DIR defaults to ../shared/spec beside the repository. With --check it writes
nothing and exits 1 when a fixture differs from its page.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# fixture name: (page, the text the example follows)
EXAMPLES = {
    "000_status.json": ("000_98ac0c9924c86490.txt", "Success Response (200 OK)"),
    "001_results.json": ("001_abefa6c5d98237cc.txt", "Success Response (200 OK)"),
    "002_check_batch.json": ("002_ca0f4466852f39af.txt", "Success Response (200)"),
    "004_talonic_batch.json": ("004_ce2118101a999fec.txt", "Response fields"),
}


def first_object_after(text, marker):
    """The first balanced {...} after marker, strings and escapes respected."""
    start = text.index(marker) + len(marker)
    open_at = text.index("{", start)
    depth, in_string, escaped = 0, False, False
    for at in range(open_at, len(text)):
        c = text[at]
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
            continue
        if c == '"':
            in_string = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return json.loads(text[open_at:at + 1])
    raise ValueError(f"unbalanced example after {marker!r}")


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = "--check" in sys.argv[1:]
    spec = args[0] if args else os.path.join(HERE, "..", "..", "..", "..", "shared", "spec")
    stale = []
    for name, (page, marker) in EXAMPLES.items():
        with open(os.path.join(spec, page), encoding="utf-8") as f:
            example = first_object_after(f.read(), marker)
        text = json.dumps(example, indent=2, ensure_ascii=False) + "\n"
        path = os.path.join(HERE, name)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    if json.load(f) != example:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"{name} <- {page}")
    if stale:
        print("fixtures that differ from their pages:", ", ".join(stale))
        sys.exit(1)


if __name__ == "__main__":
    main()
