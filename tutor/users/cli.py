"""``python -m tutor.users``: add, list and change accounts from the server's shell.

A password is read from standard input, never from the command line (where ``ps`` and the shell history
would keep it): typed twice at a terminal, or the first line of a pipe (``printf '%s\\n' "$PW" | ...``).
Exit status: 0 done, 1 the change could not be made (the reason is one line on standard error).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from typing import TextIO

from tutor.errors import TutorError

log = logging.getLogger(__name__)


def parser() -> argparse.ArgumentParser:
    from tutor.users.accounts import ROLES

    p = argparse.ArgumentParser(prog="python -m tutor.users", description="Manage Mwalimu's accounts and roles.")
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add an account (password from standard input)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--proxy-only", action="store_true",
                     help="no password: the account signs in only through the single sign-on proxy")
    sub.add_parser("list", help="list accounts (never their passwords)")
    role = sub.add_parser("set-role", help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    for command, text in (("set-password", "set a new password (from standard input)"),
                          ("disable", "stop an account from signing in (its records stay)"),
                          ("enable", "let a disabled account sign in again"),
                          ("remove", "delete an account (its learning records are erased separately)")):
        sub.add_parser(command, help=text).add_argument("name")
    sub.add_parser("actions", help="the newest staff actions: who changed accounts and the library")
    return p


def read_password(stdin: TextIO) -> str:
    """Twice at a terminal (to catch a typo), else the first line of standard input."""
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise TutorError("the two passwords differ")
        return first
    return stdin.readline().rstrip("\r\n")


def main(argv: list[str] | None = None, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    from tutor.db import make_engine
    from tutor.settings import Settings, setup_logging
    from tutor.users.accounts import Users, describe

    args = parser().parse_args(argv)
    setup_logging()
    stdin, out = stdin or sys.stdin, out or sys.stdout
    try:
        users = Users(make_engine(Settings()))
        if args.command == "add":
            password = None if args.proxy_only else read_password(stdin)
            account = users.add(args.name, args.role, password, actor="cli")
            out.write(f"Added {account.name} as {account.role}.\n")
        elif args.command == "list":
            out.write(describe(users.list()) + "\n")
        elif args.command == "set-role":
            users.set_role(args.name, args.role)
            out.write(f"{args.name} is now {args.role}.\n")
        elif args.command == "set-password":
            users.set_password(args.name, read_password(stdin))
            out.write(f"Password of {args.name} changed.\n")
        elif args.command in ("disable", "enable", "remove"):
            getattr(users, args.command)(args.name)
            out.write(f"{args.name}: {args.command}d.\n" if args.command != "remove" else f"Removed {args.name}.\n")
        else:
            for a in users.actions():
                out.write(f"{a.at.isoformat(timespec='seconds')}  {a.actor:<20} {a.action:<14} {a.subject}  {a.detail}\n")
    except TutorError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    return 0
