"""The two signed strings of the waiting room (django.core.signing, SECRET_KEY):

- the queue **token** names a customer's place: user and showtime. Anyone who holds it
  and is that user may ask where they are; it never expires (the place is in Redis);
- the **pass** says that the queue admitted that user for that showtime: user,
  showtime, when the place was admitted (binding it to that admission, so a pass of an
  earlier place or of a closed queue is refused) and when it expires.

Each has its own salt, so one is never accepted as the other.
"""

from django.core import signing

TOKEN_SALT = "waitingroom.token"
PASS_SALT = "waitingroom.pass"


def token_make(*, user_id: int, showtime_id: int) -> str:
    return signing.dumps({"u": user_id, "s": showtime_id}, salt=TOKEN_SALT)


def token_matches(token: str, *, user_id: int, showtime_id: int) -> bool:
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return False
    return isinstance(data, dict) and data.get("u") == user_id and data.get("s") == showtime_id


def pass_make(*, user_id: int, showtime_id: int, admitted_ms: int, expires_ms: int) -> str:
    return signing.dumps(
        {"u": user_id, "s": showtime_id, "a": admitted_ms, "e": expires_ms}, salt=PASS_SALT
    )


def pass_admission(queue_pass: str, *, user_id: int, showtime_id: int, now_ms: int) -> int | None:
    """When the admission this pass was issued for began (ms), or None when the pass is
    forged, another user's or showtime's, or expired."""
    try:
        data = signing.loads(queue_pass, salt=PASS_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user_id or data.get("s") != showtime_id:
        return None
    expires, admitted = data.get("e"), data.get("a")
    if not isinstance(expires, int) or not isinstance(admitted, int):
        return None
    if expires <= now_ms:
        return None
    return admitted
