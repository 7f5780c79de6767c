"""scripts/cluster up|test|down|status (see cluster/__init__.py)."""

import argparse
import signal
import sys

from cluster.topology import STATE_FILE, Topology, alive, log


def _refuse_if_up() -> None:
    existing = Topology.load()
    if existing is not None:
        running = [n for n, pid in existing.state["pids"].items() if alive(pid)]
        if running:
            sys.exit(
                f"a cluster is already up ({', '.join(running)}): `scripts/cluster down` first"
            )
        existing.down()  # leftovers of an interrupted run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/cluster", description=__doc__)
    parser.add_argument("command", choices=["up", "test", "down", "status"])
    parser.add_argument("--max-seconds", type=int, default=600, help="hard limit of `test` (600)")
    parser.add_argument(
        "--figures",
        action="store_true",
        help="`test`: measure throughput for docs/performance.md (3 alternating rounds of 5 s, "
        "about 3 minutes) instead of the 10 s smoke that checks bookings and reads run "
        "without a 5xx",
    )
    opts = parser.parse_args(argv)

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    if opts.command == "down":
        topology = Topology.load()
        if topology is None:
            log(f"nothing to stop ({STATE_FILE} not found)")
            return 0
        topology.down()
        return 0

    if opts.command == "status":
        topology = Topology.load()
        if topology is None:
            log("down")
            return 1
        for name, pid in topology.state["pids"].items():
            log(f"{name:<16} pid {pid:<8} {'running' if alive(pid) else 'STOPPED'}")
        log(f"http://127.0.0.1:{topology.ports.http}/  directory {topology.dir}")
        return 0

    _refuse_if_up()
    topology = Topology.create(attached=opts.command == "test")
    if opts.command == "up":
        try:
            topology.up()
        except BaseException:
            log("up failed: stopping what was started")
            topology.down()
            raise
        return 0

    from cluster.checks import run_test

    def on_alarm(signum, frame):
        raise TimeoutError(f"the cluster test exceeded --max-seconds={opts.max_seconds}")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(opts.max_seconds)
    try:
        topology.up()
        return run_test(topology, figures=opts.figures)
    finally:
        signal.alarm(0)
        topology.down()


if __name__ == "__main__":
    sys.exit(main())
