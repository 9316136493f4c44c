"""`pbr check` and `pbr test`: the rules themselves."""

from __future__ import annotations

from .common import EXIT_FAILED, EXIT_OK, load_or_report


def register(command, ruleset_help: str) -> None:
    sub = command("check", "Parse and check rulesets; report every mistake with its place.", _check)
    sub.add_argument("rulesets_to_check", nargs="+", metavar="RULESET", help=ruleset_help)

    sub = command("test", "Run the examples written in rulesets (all shipped rulesets by default).", _test)
    sub.add_argument("rulesets_to_test", nargs="*", metavar="RULESET", help=ruleset_help)
    sub.add_argument("-v", "--verbose", action="store_true", help="list passing examples too")


def _check(args) -> int:
    failed = False
    for ref in args.rulesets_to_check:
        ruleset = load_or_report(ref, args.rulesets)
        if ruleset is None:
            failed = True
            continue
        resolved = ruleset.checked.resolved
        overrides = resolved.own_overrides
        extra = f", {len(overrides)} override(s)" if overrides else ""
        measures = resolved.tables["measures"]
        extra = (f", {len(measures)} measure{'s' if len(measures) != 1 else ''}" if measures else "") + extra
        print(f"{ruleset.ref}: ok ({len(resolved.outcomes)} outcomes, {len(resolved.examples)} examples{extra})")
    return EXIT_FAILED if failed else EXIT_OK


def _all_shipped(library) -> list[str]:
    return [f"{name}@{version}" for name in library.names() for version in library.versions(name)]


def _test(args) -> int:
    from ..examples import run_examples
    from ..resolve import RulesetLibrary
    library = RulesetLibrary(args.rulesets)
    refs = args.rulesets_to_test or _all_shipped(library)
    passed = failed = 0
    for ref in refs:
        ruleset = load_or_report(ref, args.rulesets)
        if ruleset is None:
            failed += 1
            continue
        report = run_examples(ruleset)
        for check in report.checks:
            if not check.passed:
                print(f"FAIL {check.describe()}")
            elif args.verbose:
                print(f"ok   {ruleset.ref}: {check.example.title}: {check.message}")
        print(f"{ruleset.ref}: {report.passed} passed, {report.failed} failed")
        passed += report.passed
        failed += report.failed
    print(f"{passed} passed, {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK
