"""`pbr diff A B`: what changed between two rulesets or versions, in words a provider reads."""

from __future__ import annotations

from .common import EXIT_OK, open_out, say_files_read


def register(command, ruleset_help: str) -> None:
    """Add `pbr diff` to the command line (``command`` is the subcommand factory)."""
    sub = command("diff", "Say what changed between two rulesets or two versions of one, in plain English: "
                  "parameters, definitions, outcomes rule by rule, the schema, payments and examples. "
                  "Layout and comments are not changes.", _diff)
    sub.add_argument("old", metavar="A", help="the ruleset the changes are from: " + ruleset_help)
    sub.add_argument("new", metavar="B", help="the ruleset the changes are to: " + ruleset_help)
    sub.add_argument("--format", choices=["text", "md", "json"], default="text",
                     help="text (default), md (Markdown) or json (for other systems: docs/diff.md)")
    sub.add_argument("--out", metavar="FILE", help="write here (default: standard output)")


def _diff(args) -> int:
    from ..evaluate import load
    from ..diff import diff_rulesets, render
    old = load(args.old, args.rulesets)
    new = load(args.new, args.rulesets)
    say_files_read(old)
    say_files_read(new)
    text = render(diff_rulesets(old.checked, new.checked), args.format)
    with open_out(args.out) as out:
        out.write(text)
    return EXIT_OK
