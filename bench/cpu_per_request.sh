#!/usr/bin/env bash
# CPU time per request of one sync gunicorn worker and of mariadbd, under wrk: a measure
# of the work a request costs that a loaded, shared machine disturbs far less than
# throughput. Compare two checkouts by running it on each, alternately.
#
#   bench/cpu_per_request.sh <checkout dir> <bench database> <path> [seconds]
#   bench/cpu_per_request.sh . marquee_bench /api/showtimes/511/seats/
#
# The database must hold the bench's data (run `make bench` once); the path must answer
# 200 without a token. Uses port 8799 on 127.0.0.1.
set -euo pipefail
dir=$1 db=$2 path=$3 seconds=${4:-8}
tick=$(getconf CLK_TCK)
# The server on port 3306 (other MariaDB instances, the cluster's say, may be running).
mysqld=$(ss -Hltnp 'sport = :3306' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

cd "$dir"
env DEBUG=0 SECRET_KEY=bench-only-secret-key-not-for-production-0123456789abcdef \
    ROOT_URLCONF=bench.urls SECURE_SSL_REDIRECT=0 SECURE_PROXY_SSL_HEADER=0 \
    ALLOWED_HOSTS=127.0.0.1 DATABASE_URL="mysql://root@127.0.0.1:3306/$db" \
    REDIS_URL=redis://127.0.0.1:6379/2 CONN_MAX_AGE=60 WEB_CONCURRENCY=1 GUNICORN_THREADS=1 \
    GUNICORN_BIND=127.0.0.1:8799 \
    .venv/bin/gunicorn -c config/gunicorn.conf.py config.wsgi:application >/dev/null 2>&1 &
master=$!
trap 'kill $master 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -sf -o /dev/null "http://127.0.0.1:8799$path" && break; sleep 0.5; done
worker=$(pgrep -P "$master" | head -1)
wrk -t1 -c4 -d3s "http://127.0.0.1:8799$path" >/dev/null   # warm-up
w0=$(cpu "$worker"); m0=$(cpu "$mysqld")
requests=$(wrk -t1 -c4 "-d${seconds}s" "http://127.0.0.1:8799$path" | awk '/requests in/ {print $1}')
w1=$(cpu "$worker"); m1=$(cpu "$mysqld")
python3 -c "
n = $requests
print(f'$path: {n} requests; app worker {($w1 - $w0) / $tick / n * 1e6:.0f} µs CPU, '
      f'mariadbd {($m1 - $m0) / $tick / n * 1e6:.0f} µs CPU per request')"
