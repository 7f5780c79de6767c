"""Run localstripe (a fake Stripe server, dev requirement) for one test session:
``python -m payments.tests.localstripe_server --port N``.

localstripe keeps its objects in memory and also writes them, after every change, to
the fixed file /tmp/localstripe.pickle (and reads it back on start). Two test runs at
once (SQLite and MariaDB, or two clones) would then share and overwrite one store. This
runs the same app with a store that stays in this process: the Store subclass below
does no file I/O, and the running store object is switched to it before the server
starts.
"""

import argparse

from aiohttp import web
from localstripe import resources, server


class MemoryStore(resources.Store):
    def try_load_from_disk(self):
        pass

    def dump_to_disk(self):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The store is a module-level object that every localstripe module imported by name,
    # so its class is switched in place rather than the object replaced.
    resources.store.__class__ = MemoryStore
    web.run_app(server.app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
