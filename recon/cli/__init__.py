"""``python -m recon <verb>``: the command line mirrors what the app does, verb for verb.

Each verb lives in its own module under ``recon/cli/`` with ``add_parser(subparsers)`` and
``run(args) -> int``. Bad input exits with code 2 and one line on stderr, never a traceback; ``actions`` exits 3
when it wrote the files but left records out; a bug exits with code 4 and one line too.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from recon.errors import InputError

VERBS = ("read", "reconcile", "actions", "paper", "demo", "sandbox")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m recon", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    for verb in VERBS:
        module = importlib.import_module(f"recon.cli.{verb}")
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    module = importlib.import_module(f"recon.cli.{args.verb}")
    try:
        return module.run(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as err:
        print(f"error: {err.filename}: {err.strerror}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - a bug must still end in one line, not a traceback
        detail = " ".join(str(err).split())[:300]
        print(
            f"error: unexpected problem ({type(err).__name__}: {detail}). "
            "Please report it with the file that caused it.",
            file=sys.stderr,
        )
        return 4
