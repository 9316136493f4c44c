"""`pbr docs RULESET... --out DIR`: the rules as a static documentation site, HTML or Markdown."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import UsageError
from .common import EXIT_FAILED, EXIT_OK


def register(command, ruleset_help: str) -> None:
    sub = command("docs", "Write the rules as a documentation site a provider can read: every outcome's rules in "
                  "plain English, parameters, the data fields, payments, measures, worked examples computed from "
                  "the rules, and the highlighted source. Bases of the rulesets named are included.", _docs)
    sub.add_argument("rulesets_named", nargs="*", metavar="RULESET",
                     help="a .pbr file, NAME@VERSION, or NAME (every version of it)")
    sub.add_argument("--all", action="store_true", help="every ruleset found (the shipped ones and --rulesets)")
    sub.add_argument("--out", required=True, metavar="DIR", help="the folder to write the site to (made if missing)")
    sub.add_argument("--format", choices=["html", "md"], default="html",
                     help="html (default: opens from the file system, no server or script) or md (Markdown)")


def _docs(args) -> int:
    from ..docs.site import build_site, collect, render_site, write_site
    if not args.rulesets_named and not args.all:
        raise UsageError("name the rulesets to document, or give --all", hint="pbr docs national wigan --out site")
    site = build_site(collect(args.rulesets_named, args.rulesets, every=args.all), args.rulesets)
    failures = site.failures
    if failures:
        for failure in failures:
            print(f"pbr: {failure}", file=sys.stderr)
        print(f"pbr: {len(failures)} example expectation(s) fail: no documentation written (fix the rules or the "
              "examples; `pbr test` runs them)", file=sys.stderr)
        return EXIT_FAILED
    out = Path(args.out)
    try:
        written, removed = write_site(render_site(site, args.format), out)
    except OSError as error:
        raise UsageError(f"cannot write the site to {args.out}: {error.strerror or error}",
                         hint="--out names a folder (made if missing)") from None
    refs = ", ".join(page.ref for page in site.pages)
    if removed:
        print(f"pbr: removed {len(removed)} pages an earlier run wrote there: "
              + ", ".join(path.name for path in removed), file=sys.stderr)
    print(f"pbr: wrote {len(written)} files to {args.out} ({refs}); start at {out / ('index.' + args.format)}",
          file=sys.stderr)
    return EXIT_OK
