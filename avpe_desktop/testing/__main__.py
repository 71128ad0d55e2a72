"""`python -m avpe_desktop.testing [--port N]`: the Google emulator for demos without keys."""

from __future__ import annotations

import argparse

from avpe_desktop.testing.emulator import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="avpe emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--polls", type=int, default=2, help="polls before a video is done")
    parser.add_argument("--delivery", choices=["inline", "gcs", "http"], default="inline")
    args = parser.parse_args(argv)
    serve("127.0.0.1", args.port, polls_to_finish=args.polls, video_delivery=args.delivery)


if __name__ == "__main__":
    main()
