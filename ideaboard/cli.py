"""The `ideaboard` command: serve, worker, migrate, seed, create-user (and the offline search and cluster tools)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import importlib.util
import os
import signal
import subprocess
import sys

from ideaboard import i18n, search_cli
from ideaboard.i18n import gettext as _
from ideaboard.settings import Settings, SettingsError, env_name
from ideaboard.supervise import Supervisor, die_with_parent


def _run(coro):
    return asyncio.run(coro)


def cmd_migrate(args: argparse.Namespace) -> int:
    from ideaboard.db import migrate_database

    applied = _run(migrate_database(Settings.from_env().database_url))
    print("Applied: " + ", ".join(applied) if applied else "The database is up to date.")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from ideaboard.demo import seed_demo

    if not args.demo:
        print("Nothing to seed: pass --demo to load the demo community.", file=sys.stderr)
        return 2
    created = _run(seed_demo(Settings.from_env()))
    print("Demo content loaded." if created else "The database already has content; demo data not loaded.")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from ideaboard.demo import create_user_cli

    password = os.environ.get("IDEABOARD_PASSWORD") or getpass.getpass("Password (10+ characters): ")
    return _run(create_user_cli(Settings.from_env(), args.email, args.name, password, args.role))


def _ensure_schema(settings: Settings, migrate: bool) -> bool:
    """Refuse to serve an unmigrated database (clear message), unless asked to migrate."""
    from ideaboard.db import migrate_database, pending_migrations

    pending = _run(pending_migrations(settings.database_url))
    if pending and not migrate:
        print(f"The database at {settings.database_url} is not migrated ({len(pending)} pending: "
              f"{', '.join(pending)}).\nRun `ideaboard migrate` first, or `ideaboard serve --migrate`.",
              file=sys.stderr)
        return False
    if pending:
        _run(migrate_database(settings.database_url))
        print(f"Migrated the database ({len(pending)} migrations).")
    return True


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings.from_env()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # clean up the embedded Redis even when stopped early
    os.environ.setdefault("IDEABOARD_DATA_DIR", settings.data_dir)
    if not _ensure_schema(settings, migrate=args.migrate or args.demo):
        return 2
    if args.demo:
        from ideaboard.demo import DEMO_LOGINS, seed_demo

        _run(seed_demo(settings))
        if not (settings.x_bearer_token or settings.x_tweets_file):  # related tweets from the shipped demo file
            from ideaboard.social import prepare_demo_tweets

            os.environ["X_TWEETS_FILE"] = prepare_demo_tweets(settings.data_dir)
    redis_server = None
    if not settings.redis_url:  # start one embedded Redis that every web process and the worker share
        from ideaboard.redis_embedded import start_embedded_redis

        redis_server, os.environ["REDIS_URL"] = start_embedded_redis(settings.data_dir)
    # links in share text, og:url and emails name the address we serve on, unless IDEABOARD_BASE_URL says otherwise
    os.environ.setdefault(env_name("base_url"), served_url(args.host, args.port))
    start_worker = _start_worker if (redis_server is not None and not args.no_worker) else None
    supervisor = Supervisor(redis_server, start_worker)  # restarts the embedded Redis and the worker if they die
    supervisor.start()
    supervisor.wait_started()
    print(f"\n  ideaboard is running at {served_url(args.host, args.port)}/\n")
    if args.demo:
        print("  Demo logins (password for all: " + DEMO_LOGINS["password"] + ")")
        for role, email in DEMO_LOGINS["accounts"]:
            print(f"    {role:<9} {email}")
        print()
    try:
        uvicorn.run("ideaboard.app:create_served_app", factory=True, host=args.host, port=args.port,
                    workers=args.workers, proxy_headers=True, log_level="info", access_log=not args.no_access_log,
                    http=_http_protocol())
    finally:
        supervisor.stop()
    return 0


def _http_protocol() -> str:
    """httptools with the live streams' direct writer (ideaboard/serving.py); uvicorn's default without httptools."""
    return "ideaboard.serving:HttpProtocol" if importlib.util.find_spec("httptools") is not None else "auto"


def served_url(host: str, port: int) -> str:
    """The address people reach `serve --host/--port` at (a wildcard host is this machine: localhost)."""
    if host in ("", "0.0.0.0", "::"):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _start_worker() -> subprocess.Popen | None:
    """On the embedded default the web command also runs one background worker, so clusters just appear.

    It is told our pid and stops by itself once we are gone, even if the parent-death signal is lost.
    """
    if importlib.util.find_spec("workers.runner") is None:
        return None
    env = {**os.environ, "IDEABOARD_PARENT_PID": str(os.getpid())}
    return subprocess.Popen([sys.executable, "-m", "ideaboard.cli", "worker"], env=env, preexec_fn=die_with_parent)


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the background worker (workers/runner.py): two arq loops that reconnect after a Redis outage."""
    run_worker = importlib.import_module("workers.runner").run_worker  # by name: ideaboard never imports workers
    return run_worker()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ideaboard", description="An idea board for customer co-creation.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web site (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="web processes (uvicorn workers)")
    serve.add_argument("--demo", action="store_true", help="migrate and load demo content if the database is empty")
    serve.add_argument("--migrate", action="store_true", help="apply pending migrations before serving")
    serve.add_argument("--no-worker", action="store_true", help="do not start a background worker alongside")
    serve.add_argument("--no-access-log", action="store_true", help="skip the per-request log line (faster)")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("worker", help="run the background worker (arq)").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    seed = sub.add_parser("seed", help="load content")
    seed.add_argument("--demo", action="store_true", help="the demo community (only into an empty database)")
    seed.set_defaults(func=cmd_seed)
    create = sub.add_parser("create-user", help="create an account (password from IDEABOARD_PASSWORD or a prompt)")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=["customer", "employee", "staff", "admin"], default="customer")
    create.set_defaults(func=cmd_create_user)
    search_cli.register(sub)
    if importlib.util.find_spec("workers.cli") is not None:
        importlib.import_module("workers.cli").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:  # a message per bad variable, no traceback, in the operator's language
        with i18n.speaking(exc.locale):
            print(_("ideaboard cannot start: fix these settings (see the settings table in README.md):"),
                  file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
