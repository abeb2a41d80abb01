"""``python -m recon sandbox``: the local GSTN sandbox portal on 127.0.0.1, for demos and manual tests of the
connector (``recon.portal.sandbox_cli``)."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    from recon.portal.sandbox_cli import add_options

    parser = subparsers.add_parser(
        "sandbox",
        help="run the local GSTN sandbox portal the connector can be pointed at",
        description=__doc__.splitlines()[0],
    )
    add_options(parser)


def run(args: argparse.Namespace) -> int:
    from recon.portal.sandbox_cli import serve

    return serve(args)
