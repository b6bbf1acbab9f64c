"""``python -m hub start | clean``: what ``make hub`` and ``make hub-clean`` run."""
import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from hub import classroom as rooms

DEFAULT_FOLDER = rooms.REPOSITORY / "build" / "hub"


def _whole(low, high):
    """An argparse type: a whole number from ``low`` to ``high`` (also for the HUB_* defaults)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}, not {text!r}")
        return value
    return parse


def _classroom(args):
    return rooms.Classroom(Path(args.folder).resolve(), prefix=args.prefix, students=args.students, port=args.port)


def start(args):
    room = _classroom(args)
    create = rooms.default_create_users() if args.create_users is None else args.create_users
    print(f"setting up the classroom in {room.folder} (nbgrader's course root: {room.course})", flush=True)
    settings = rooms.set_up(room, create)
    print(f"\nJupyterHub at {room.url}/ - log in with the password {settings['password']} as\n"
          f"  {room.instructor} (instructor: the formgrader is at {room.url}/user/{room.instructor}/formgrader,\n"
          f"    in a tab of its own: JupyterHub forbids showing it inside JupyterLab)\n"
          + "".join(f"  {student} (student: Nbgrader > Assignment List)\n" for student in room.student_ids)
          + "Stop it with Ctrl-C; `make hub-clean` removes these users and the folder.\n", flush=True)
    hub = subprocess.Popen(rooms.hub_command(room), cwd=room.state, env=rooms.hub_env(room))
    try:
        return hub.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if hub.poll() is None:  # interrupted, or this process was told to stop: the hub stops too
            hub.terminate()
            hub.wait(timeout=30)


def clean(args):
    room = _classroom(args)
    if os.geteuid() != 0 and room.created_users():
        raise rooms.Refused("make hub-clean needs root to remove the users make hub created")
    existed = room.folder.exists()
    removed = rooms.clean(room)
    print(f"removed {len(removed)} local users ({', '.join(removed) or 'none'})"
          + (f" and {room.folder}" if existed else f"; there was no {room.folder}"))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m hub", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "clean"):
        p = commands.add_parser(name)
        p.add_argument("--folder", default=str(DEFAULT_FOLDER), help="the classroom's folder (default build/hub)")
        p.add_argument("--prefix", default=os.environ.get("HUB_PREFIX", "r2a-"), help="the user names' prefix")
        p.add_argument("--students", type=_whole(1, 500), default=os.environ.get("HUB_STUDENTS", "3"),
                       help="how many students (HUB_STUDENTS, default 3)")
        p.add_argument("--port", type=_whole(1, 65535), default=os.environ.get("HUB_PORT", "8000"),
                       help="the hub's port on 127.0.0.1 (HUB_PORT, default 8000)")
    commands.choices["start"].add_argument("--create-users", action=argparse.BooleanOptionalAction, default=None,
                                           help="create the local users (default: HUB_CREATE_USERS, else yes in "
                                                "CI and containers)")
    args = parser.parse_args(argv)
    try:
        return {"start": start, "clean": clean}[args.command](args)
    except rooms.Refused as problem:
        print(f"python -m hub {args.command}: error: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(143))  # runs the finally that stops the hub
    sys.exit(main())
