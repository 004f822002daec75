"""Serve Mwalimu's web app: ``python app.py [--host 127.0.0.1] [--port 7860]``."""

from __future__ import annotations

import argparse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="app.py", description="Serve Mwalimu's web app.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, default=7860, help="port to listen on")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from tutor.settings import Settings, setup_logging
    from tutor.ui.app import build_app, launch_app
    from tutor.ui.services import make_services

    setup_logging()
    settings = Settings()  # type: ignore[call-arg]  # pydantic-settings fills the fields from TUTOR_*
    services = make_services(settings)
    services.warm_up()
    launch_app(build_app(settings, services), settings, host=args.host, port=args.port, quiet=False)


if __name__ == "__main__":
    main()
