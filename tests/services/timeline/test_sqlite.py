import sqlite3
import threading
from pathlib import Path

from services.timeline.sqlite import connect_wal


def _open_one(path: Path, start: threading.Barrier, conns: list[sqlite3.Connection],
              errors: list[BaseException]) -> None:
    start.wait()
    try:
        conns.append(connect_wal(path, synchronous="NORMAL", check_same_thread=False))
    except BaseException as exc:
        errors.append(exc)


def test_many_connections_switching_one_new_file_to_wal_together_all_succeed(
        tmp_path: Path) -> None:
    # Without waiting, about one round in twenty sees "database is locked" here.
    for round_ in range(60):
        path = tmp_path / f"{round_}.sqlite3"
        errors: list[BaseException] = []
        conns: list[sqlite3.Connection] = []
        start = threading.Barrier(12)

        threads = [threading.Thread(target=_open_one, args=(path, start, conns, errors))
                   for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert {c.execute("PRAGMA journal_mode").fetchone()[0] for c in conns} == {"wal"}
        for c in conns:
            c.close()


def test_a_file_that_is_not_a_database_is_reported_not_waited_on(tmp_path: Path) -> None:
    path = tmp_path / "not.sqlite3"
    path.write_bytes(b"this is not SQLite" * 100)
    try:
        connect_wal(path, synchronous="NORMAL")
    except sqlite3.DatabaseError as exc:
        assert "not a database" in str(exc)
    else:
        raise AssertionError("opened a file that is not a database")


def test_the_durability_asked_for_is_the_one_set(tmp_path: Path) -> None:
    for asked, level in (("NORMAL", 1), ("FULL", 2)):
        conn = connect_wal(tmp_path / f"{asked}.sqlite3", synchronous=asked)
        try:
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == level
        finally:
            conn.close()
