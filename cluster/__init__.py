"""Marquee's production topology on one machine, and its test.

``scripts/cluster up|test|down|status`` (or ``make cluster``, ``make cluster-test``,
``make cluster-down``): a MariaDB primary and a replica replicating from it by GTID,
Redis, two gunicorn app nodes, each with an ASGI process (uvicorn) serving the live
seat maps' streams, and nginx in front, all on 127.0.0.1 with private ports
and data directories under one temporary directory, configured from the files in
deploy/. Nothing here touches the machine's shared MariaDB or Redis. See
docs/scaling.md for what the test proves and the figures it measured.
"""
