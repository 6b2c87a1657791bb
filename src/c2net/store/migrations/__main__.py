"""`python -m c2net.store.migrations revision -m MESSAGE | upgrade URL | current URL`."""

from __future__ import annotations

import argparse

from c2net.store.migrations import current, revision


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m c2net.store.migrations")
    sub = parser.add_subparsers(dest="command", required=True)
    rev = sub.add_parser("revision", help="autogenerate a revision from the schema's changes")
    rev.add_argument("-m", "--message", required=True)
    up = sub.add_parser("upgrade", help="migrate a database to the newest revision")
    up.add_argument("url")
    cur = sub.add_parser("current", help="the revision a database is at")
    cur.add_argument("url")
    args = parser.parse_args(argv)
    if args.command == "revision":
        print(revision(args.message))
        return
    from c2net.store.database import make_engine

    engine = make_engine(args.url, migrate=True) if args.command == "upgrade" else None
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(args.url)
    with engine.connect() as conn:
        print(current(conn))
    engine.dispose()


if __name__ == "__main__":
    main()
