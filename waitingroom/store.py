"""The queue's state in Redis, shared by every app node and surviving their restarts.

Per showtime S, under one hash tag (``{wr:S}``, one Redis Cluster slot):

- ``cfg``   hash: the settings the counter needs (``rate`` a minute, ``paused``,
  ``opens`` and ``pass`` in ms, ``closed``) and the serving counter's anchor (``base``
  people admitted as of ``since``, ms);
- ``z``     sorted set of places: member ``<user>:<n>``, score a random number in [0, 1)
  for an arrival before ``opens`` (random order, whoever came first), ``1 + n`` after
  (first come, first served, behind everyone who came before the opening);
- ``seq``   the arrival counter ``n``;
- ``mem``   hash user -> their member (one place per account);
- ``adm``   hash member -> when it was first seen admitted (ms): the pass's start.

A place is admitted when its rank (0-based) is below the serving counter, which grows
by ``rate`` a minute from ``opens`` while not paused. The counter never runs ahead of
the people queued: capacity nobody waited for is not banked for a later rush (the
anchor moves to now instead). Every change runs in one Lua script, so two nodes never
interleave; the clock is Redis's own (``TIME``), the same for every node.

The connection is the default cache's pool (``REDIS_URL``), with its socket timeouts
and its circuit breaker (core/cache.py): Redis down or hung raises
``QueueUnavailable`` within the cache's timeouts. Without Redis (the local-memory
cache of a development set-up) every queued showtime is unavailable: the waiting room
fails closed.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import NoScriptError

from core.cache import REDIS_OUTAGES, CacheUnavailable
from waitingroom.exceptions import QueueUnavailable

# Both scripts end with the place's status; ``now`` is ARGV's if given (tests), else TIME.
_COMMON = """
local function clock(given)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function served(cfg, z, now)
  local c = redis.call('HMGET', cfg, 'rate', 'paused', 'opens', 'base', 'since')
  local rate, opens = tonumber(c[1]), tonumber(c[3])
  local base, since = tonumber(c[4]), tonumber(c[5])
  local total = redis.call('ZCARD', z)
  local s = base
  if c[2] ~= '1' and now > opens then
    s = base + math.floor((now - math.max(since, opens)) * rate / 60000)
  end
  if s > total then
    if s > base then redis.call('HSET', cfg, 'base', total, 'since', now) end
    s = total
  end
  return s, total
end

local function status(cfg, z, adm, member, now)
  local c = redis.call('HMGET', cfg, 'closed', 'rate', 'paused', 'opens', 'pass')
  local s, total = served(cfg, z, now)
  local head = {c[2], c[3], c[4], c[5], tostring(now), tostring(s), tostring(total)}
  if c[1] == '1' then return {'closed', '0', '0', '0', unpack(head)} end
  if not member then return {'absent', '0', '0', '0', unpack(head)} end
  local rank = redis.call('ZRANK', z, member)
  if rank < s then
    local at = redis.call('HGET', adm, member)
    if not at then
      at = tostring(now)
      redis.call('HSET', adm, member, at)
    end
    return {'admitted', tostring(rank + 1), member, at, unpack(head)}
  end
  return {'waiting', tostring(rank + 1), member, '0', unpack(head)}
end
"""

# KEYS cfg z seq mem adm; ARGV user, now, random score in [0, 1)
_JOIN = (
    _COMMON
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'uninitialised'} end
local now = clock(ARGV[2])
local c = redis.call('HMGET', KEYS[1], 'opens', 'closed', 'pass', 'expires')
if c[2] == '1' then return status(KEYS[1], KEYS[2], KEYS[5], false, now) end
local member = redis.call('HGET', KEYS[4], ARGV[1])
if member then
  local at = redis.call('HGET', KEYS[5], member)
  if at and tonumber(at) + tonumber(c[3]) <= now then member = false end
end
if not member then
  -- The counter catches up with the queue as it was: places nobody waited for are
  -- not handed to the newcomer.
  served(KEYS[1], KEYS[2], now)
  local n = redis.call('INCR', KEYS[3])
  member = ARGV[1] .. ':' .. n
  local score = 1 + n
  if now < tonumber(c[1]) then score = tonumber(ARGV[3]) end
  redis.call('ZADD', KEYS[2], score, member)
  redis.call('HSET', KEYS[4], ARGV[1], member)
  for i = 2, 5 do redis.call('PEXPIREAT', KEYS[i], c[4]) end
end
return status(KEYS[1], KEYS[2], KEYS[5], member, now)
"""
)

# KEYS cfg z mem adm; ARGV user, now
_STATUS = (
    _COMMON
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'uninitialised'} end
local now = clock(ARGV[2])
local member = redis.call('HGET', KEYS[3], ARGV[1])
return status(KEYS[1], KEYS[2], KEYS[4], member, now)
"""
)

# KEYS cfg z; ARGV rate, paused, opens, closed, pass, expires, now. The counter is
# brought up to now under the old settings before the new ones apply.
_CONFIGURE = (
    _COMMON
    + """
local now = clock(ARGV[7])
local base = 0
if redis.call('EXISTS', KEYS[1]) == 1 then base = served(KEYS[1], KEYS[2], now) end
redis.call('HSET', KEYS[1], 'rate', ARGV[1], 'paused', ARGV[2], 'opens', ARGV[3],
  'closed', ARGV[4], 'pass', ARGV[5], 'expires', ARGV[6], 'base', base, 'since', now)
redis.call('PEXPIREAT', KEYS[1], ARGV[6])
return base
"""
)

# KEYS cfg mem adm; ARGV user: is the showtime closed, and when was the user's current
# place admitted (0: not admitted)?
_PASS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'uninitialised'} end
local closed = redis.call('HGET', KEYS[1], 'closed')
local member = redis.call('HGET', KEYS[2], ARGV[1])
local at = false
if member then at = redis.call('HGET', KEYS[3], member) end
return {closed or '0', at or '0'}
"""

# KEYS: all of a queue's.
_FORGET = "return redis.call('DEL', unpack(KEYS))"

_SOURCE = {
    "join": _JOIN,
    "status": _STATUS,
    "configure": _CONFIGURE,
    "pass": _PASS,
    "forget": _FORGET,
}
# EVALSHA names a script by its SHA-1 (Redis's choice, not a security use).
_SHA = {
    name: hashlib.sha1(script.encode(), usedforsecurity=False).hexdigest()
    for name, script in _SOURCE.items()
}


@dataclass(frozen=True)
class Place:
    """A customer's place in a queue, as Redis sees it now."""

    state: str  # waiting | admitted | closed | absent
    position: int  # 1-based, 0 when not queued
    member: str
    admitted_at_ms: int
    rate: int
    paused: bool
    opens_ms: int
    pass_ms: int
    now_ms: int
    served: int
    total: int

    @property
    def ahead(self) -> int:
        return max(0, self.position - 1 - self.served) if self.state == "waiting" else 0


def _place(raw: list) -> Place:
    values = [v.decode() if isinstance(v, bytes) else str(v) for v in raw]
    state, position, member, admitted_at, rate, paused, opens, pass_ms, now, served, total = values
    return Place(
        state=state,
        position=int(position),
        member=member if state in ("waiting", "admitted") else "",
        admitted_at_ms=int(admitted_at),
        rate=int(rate),
        paused=paused == "1",
        opens_ms=int(opens),
        pass_ms=int(pass_ms),
        now_ms=int(now),
        served=int(served),
        total=int(total),
    )


class Uninitialised(Exception):
    """Redis holds no settings for this queue (new, or Redis lost its data): write them
    (``configure``) and ask again."""


# Tests pin the clock; empty means Redis's own TIME.
test_now_ms: int | None = None


def _now_arg() -> str:
    return "" if test_now_ms is None else str(test_now_ms)


def now_ms() -> int:
    """The app's clock in ms (the tests' when they pin it), for checking a pass."""
    return int(time.time() * 1000) if test_now_ms is None else test_now_ms


def _keys(showtime_id: int, *names: str) -> list[str]:
    cache = caches["default"]
    return [cache.make_key(f"{{wr:{showtime_id}}}:{name}") for name in names]


def _run(name: str, keys: list[str], args: list) -> list:
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        raise QueueUnavailable(
            "The waiting room needs Redis (REDIS_URL); without it queued showtimes do not sell.",
            retry_after=60,
        )
    client = cache._cache
    breaker = getattr(client, "breaker", None)
    try:
        if breaker is not None:
            breaker.check()
        redis = client.get_client(write=True)
        try:
            return redis.evalsha(_SHA[name], len(keys), *keys, *args)
        except NoScriptError:
            return redis.eval(_SOURCE[name], len(keys), *keys, *args)
    except CacheUnavailable as exc:
        raise QueueUnavailable(retry_after=math.ceil(exc.retry_after)) from exc
    except REDIS_OUTAGES as exc:
        if breaker is None:
            raise QueueUnavailable() from exc
        tripped = breaker.trip(exc)
        raise QueueUnavailable(retry_after=math.ceil(tripped.retry_after)) from exc


def _checked(raw: list) -> list:
    if raw and raw[0] in (b"uninitialised", "uninitialised"):
        raise Uninitialised()
    return raw


def join(*, showtime_id: int, user_id: int, score: float) -> Place:
    keys = _keys(showtime_id, "cfg", "z", "seq", "mem", "adm")
    return _place(_checked(_run("join", keys, [user_id, _now_arg(), repr(score)])))


def status(*, showtime_id: int, user_id: int) -> Place:
    keys = _keys(showtime_id, "cfg", "z", "mem", "adm")
    return _place(_checked(_run("status", keys, [user_id, _now_arg()])))


def configure(
    *,
    showtime_id: int,
    rate: int,
    paused: bool,
    opens_ms: int,
    closed: bool,
    pass_ms: int,
    expires_ms: int,
) -> None:
    keys = _keys(showtime_id, "cfg", "z")
    args = [rate, int(paused), opens_ms, int(closed), pass_ms, expires_ms, _now_arg()]
    _run("configure", keys, args)


def admission(*, showtime_id: int, user_id: int) -> tuple[bool, int]:
    """(closed, when the user's current place was admitted in ms, 0 if it was not)."""
    raw = _checked(_run("pass", _keys(showtime_id, "cfg", "mem", "adm"), [user_id]))
    closed, at = (v.decode() if isinstance(v, bytes) else str(v) for v in raw)
    return closed == "1", int(at)


def forget(*, showtime_id: int) -> None:
    """Drop the queue's whole state (its places, counter and admissions)."""
    _run("forget", _keys(showtime_id, "cfg", "z", "seq", "mem", "adm"), [])
