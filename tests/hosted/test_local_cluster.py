"""The local cluster listens on no network port and gives an ordinary role."""

from __future__ import annotations

import psycopg

from leviers.hosted.local_cluster import LocalCluster


def test_no_tcp_listener_and_a_private_socket(cluster: LocalCluster) -> None:
    with psycopg.connect(cluster.dsn(database="postgres", role="postgres")) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
    assert cluster.socket_dir.stat().st_mode & 0o077 == 0


def test_starting_again_keeps_the_cluster(cluster: LocalCluster) -> None:
    # `make postgres` twice: the second start finds the cluster running and says so, no new initdb.
    assert cluster.is_running()
    marker = cluster.data / "PG_VERSION"
    before = marker.stat().st_mtime_ns
    assert cluster.start(durable=False) == cluster.dsn()
    assert marker.stat().st_mtime_ns == before
