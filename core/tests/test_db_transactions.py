"""The primary's backend (core/db/mysql) opens an atomic block's transaction with BEGIN:
no SET autocommit before or after it, and it is still one transaction."""

import pytest
from django.db import connection, transaction

from cinema.models import Movie
from cinema.tests.factories import MovieFactory

pytestmark = [
    pytest.mark.mysql,
    pytest.mark.skipif(connection.vendor != "mysql", reason="needs MariaDB/MySQL: its backend"),
    pytest.mark.django_db(transaction=True),
]


def _statements() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SHOW SESSION STATUS WHERE Variable_name IN "
            "('Com_set_option', 'Com_begin', 'Com_commit', 'Com_rollback')"
        )
        return {name: int(value) for name, value in cursor.fetchall()}


def test_an_atomic_block_sends_begin_and_commit_and_no_set_autocommit():
    connection.ensure_connection()
    before = _statements()
    with transaction.atomic():
        MovieFactory(title="Inside")
    after = _statements()

    assert after["Com_set_option"] == before["Com_set_option"]
    assert after["Com_begin"] == before["Com_begin"] + 1
    assert after["Com_commit"] == before["Com_commit"] + 1
    assert list(Movie.objects.values_list("title", flat=True)) == ["Inside"]


def test_a_failed_atomic_block_still_rolls_everything_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        MovieFactory(title="Gone")
        with transaction.atomic():  # a savepoint inside the transaction
            MovieFactory(title="Gone too")
        raise RuntimeError

    assert not Movie.objects.exists()
    assert connection.get_autocommit()
    MovieFactory(title="Autocommitted")  # outside a block: committed at once
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@autocommit")
        assert cursor.fetchone() == (1,)
    assert Movie.objects.count() == 1
