#!/usr/bin/env python3
"""Checks the links of README.md and docs/*.md: every relative link names a file that
exists, and every #anchor a heading of that file (GitHub's slug rule). External links
(http, https, mailto) are not fetched. Exit status 1 lists each broken link.

    scripts/check-doc-links.py [ROOT]
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|!\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")


def slug(heading: str) -> str:
    h = re.sub(r"`([^`]*)`", r"\1", heading.strip().lower())
    h = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", h)
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")


def text_lines(path: pathlib.Path):
    """Lines outside fenced code blocks, with their numbers."""
    fenced = False
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            yield n, line


def anchors(path: pathlib.Path) -> set:
    seen: dict = {}
    out = set()
    for _, line in text_lines(path):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            s = slug(m.group(1))
            k = seen.get(s, 0)
            out.add(s if k == 0 else f"{s}-{k}")
            seen[s] = k + 1
    return out


def main() -> int:
    files = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("**/*.md"))
    broken = []
    checked = 0
    for f in files:
        if not f.exists():
            continue
        for n, line in text_lines(f):
            for m in LINK.finditer(re.sub(r"`[^`]*`", "", line)):
                target = m.group(1) or m.group(2)
                if re.match(r"^[a-z]+:", target):
                    continue
                checked += 1
                path, _, anchor = target.partition("#")
                dest = f if not path else (f.parent / path).resolve()
                where = f"{f.relative_to(ROOT)}:{n}: {target}"
                if not dest.exists():
                    broken.append(f"{where} (no such file)")
                elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                    broken.append(f"{where} (no heading '#{anchor}' in {dest.name})")
    for b in broken:
        print(b)
    print(f"doc links: {checked} checked in {len(files)} files, {len(broken)} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
