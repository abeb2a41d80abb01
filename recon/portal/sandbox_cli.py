"""The sandbox's command line (``python -m recon sandbox``): run the local GSTN sandbox portal on 127.0.0.1
for demos and manual tests.

    python -m recon sandbox                      # demo corpus, port 8765, OTP 575757
    python -m recon sandbox --seed 7             # recon.synth.generate(7)
    python -m recon sandbox --ims ims.json       # the records of an IMS download (any envelope)

It prints the settings that point the workbench at it (IMS_PORTAL_* environment variables) and writes its
freshly generated public key where ``--key-out`` says. Faults can be switched on while it runs with
``POST /sandbox/admin`` (see ``recon.portal.sandbox_http._admin``), e.g.::

    curl -X POST localhost:8765/sandbox/admin -d '{"op": "fault", "kind": "drop", "action": "SAVE", "apply_first": true}'

It serves each month's GSTR-2B from the records it holds; filing GSTR-3B for a month fixes that 2B and
takes its records out of the inbox::

    curl -X POST localhost:8765/sandbox/admin -d '{"op": "file_3b", "gstin": "27...", "period": "102025"}'
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from recon.errors import InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m recon sandbox", description=__doc__.splitlines()[0])
    add_options(parser)
    return parser


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free port)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--seed", type=int, help="hold the IMS records of recon.synth.generate(SEED)")
    source.add_argument("--ims", type=Path, help="hold the records of this IMS JSON file")
    parser.add_argument("--gstin", help="recipient GSTIN (default: from the data)")
    parser.add_argument("--otp", default=None, help="the OTP the sandbox accepts (default 575757)")
    parser.add_argument("--session-minutes", type=float, default=360.0, help="auth token lifetime")
    parser.add_argument(
        "--queue-threshold", type=int, default=500, help="records above which GETINV queues a file"
    )
    parser.add_argument(
        "--key-out", type=Path, help="where to write the public key PEM (default: a temp file)"
    )


def main(argv: list[str] | None = None) -> int:
    return serve(build_parser().parse_args(argv))


def serve(args: argparse.Namespace) -> int:
    from recon.portal.sandbox import DEMO_OTP, SandboxPortal, demo_sections, make_server, seed_sections

    try:
        if args.ims:
            recipient, sections = seed_sections(args.ims.read_bytes(), args.gstin)
        elif args.seed is not None:
            recipient, sections = demo_sections(args.gstin, seed=args.seed)
        else:
            recipient, sections = demo_sections(args.gstin)
    except (InputError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    portal = SandboxPortal(
        otp=args.otp or DEMO_OTP, session_minutes=args.session_minutes, queue_threshold=args.queue_threshold
    )
    portal.add_taxpayer(recipient, sections)
    server = make_server(portal, args.port)
    key_path = args.key_out or Path(tempfile.gettempdir()) / "gstn_sandbox_public.pem"
    key_path.write_text(portal.public_key_pem, encoding="ascii")
    count = sum(len(records) for records in sections.values())
    print(f"GSTN sandbox portal on {portal.base_url}  ({count} IMS records for {recipient})")
    print(f"OTP: {portal.otp}   username: {portal.usernames[recipient]}")
    print("Point the workbench at it with:")
    print(f"  export IMS_PORTAL_BASE_URL={portal.base_url}")
    print(f"  export IMS_PORTAL_CLIENT_ID={portal.client_id}")
    print(f"  export IMS_PORTAL_CLIENT_SECRET={portal.client_secret}")
    print(f"  export IMS_PORTAL_PUBLIC_KEY_PATH={key_path}")
    print(f"  export IMS_PORTAL_USERNAME={portal.usernames[recipient]}")
    print("Ctrl+C stops it.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
