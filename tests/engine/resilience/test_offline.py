"""The offline watch with real probes on loopback: several hosts down at once opens the
circuit (once), one host down is that host's problem, a probe that gets through closes it."""

from __future__ import annotations

import time
from pathlib import Path

from spotsyncd.core.errors import NetworkDownError
from spotsyncd.engine.resilience.circuits import Circuit, Circuits
from spotsyncd.engine.resilience.offline import OfflineWatch, host_key
from tests.fakes.http_server import LoopbackServer
from tests.support.waiting import wait_for


def _watch(
    tmp_path: Path, urls: list[str], changes: list[tuple[bool, float]], every: float = 30.0
) -> OfflineWatch:
    circuits = Circuits(tmp_path / "circuits.json")
    return OfflineWatch(
        circuits,
        lambda: urls,
        probe_every_s=lambda: every,
        on_change=lambda offline, circuit: changes.append((offline, circuit.since)),
    )


def test_all_hosts_down_opens_once_and_a_probe_closes(tmp_path: Path) -> None:
    changes: list[tuple[bool, float]] = []
    with LoopbackServer() as one, LoopbackServer() as two:
        watch = _watch(tmp_path, [one.url("/"), two.url("/")], changes)
        one.go_offline()
        two.go_offline()
        error = NetworkDownError("cannot reach", host=f"127.0.0.1:{one.port}")
        until = watch.network_down(error)
        assert until is not None and until > time.time()
        # A second job failing the same way finds it open: same answer, no second opening.
        assert watch.network_down(error) == until
        assert changes == [(True, changes[0][1])]
        saved = Circuits.read(tmp_path / "circuits.json")["offline"]
        assert saved["open"] and saved["until_probe"]
        assert str(saved["reason"]).startswith("offline since ") and "no network" in str(
            saved["reason"]
        )
        assert watch.circuits.paused_until() is not None
        # Probes back off while nothing answers.
        assert watch.probe_once() is False and watch.probe_once() is False
        circuit = watch.circuits.offline_circuit()
        assert circuit is not None and circuit.failures == 3
        two.go_online()
        assert watch.probe_once() is True
    assert watch.circuits.offline_circuit() is None
    assert watch.circuits.paused_until() is None
    assert [offline for offline, _ in changes] == [True, False]
    assert not Circuits.read(tmp_path / "circuits.json")


def test_one_host_down_while_others_answer_is_not_offline(tmp_path: Path) -> None:
    changes: list[tuple[bool, float]] = []
    with LoopbackServer() as up, LoopbackServer() as down:
        down.go_offline()
        watch = _watch(tmp_path, [up.url("/"), down.url("/")], changes)
        assert watch.network_down(NetworkDownError("refused", host="broken.example")) is None
    assert changes == [] and watch.circuits.offline_circuit() is None


def test_the_probe_thread_closes_the_circuit_by_itself(tmp_path: Path) -> None:
    changes: list[tuple[bool, float]] = []
    with LoopbackServer() as host:
        watch = _watch(tmp_path, [host.url("/")], changes, every=0.2)
        watch.start()
        try:
            host.go_offline()
            assert watch.network_down(NetworkDownError("refused", host="x")) is not None
            host.go_online()
            wait_for(lambda: watch.circuits.offline_circuit() is None, 10, interval=0.05,
                     what="the probe thread to close the offline circuit")  # fmt: skip
        finally:
            watch.stop()
    assert [offline for offline, _ in changes] == [True, False]


def test_a_restart_forgets_a_stale_offline_state(tmp_path: Path) -> None:
    circuits = Circuits(tmp_path / "circuits.json")
    circuits.open_offline("no network", time.time() + 60, since=time.time())
    assert Circuits.read(tmp_path / "circuits.json")["offline"]["open"]
    fresh = Circuits(tmp_path / "circuits.json")
    assert fresh.offline_circuit() is None
    assert "offline" not in Circuits.read(tmp_path / "circuits.json")
    assert isinstance(circuits.close_offline(), Circuit)


def test_the_jobs_own_host_is_probed_and_answering_is_not_offline(tmp_path: Path) -> None:
    """The check hosts are all down, but the host the job names answers now (a blip): not
    offline, nothing held back."""
    changes: list[tuple[bool, float]] = []
    with LoopbackServer() as own, LoopbackServer() as check:
        check.go_offline()
        watch = _watch(tmp_path, [check.url("/")], changes)
        error = NetworkDownError("refused", host=f"127.0.0.1:{own.port}")
        assert watch.network_down(error) is None
    assert changes == [] and watch.held_hosts() == frozenset()


def test_only_cut_off_hosts_are_held_and_a_job_that_gets_through_closes(tmp_path: Path) -> None:
    changes: list[tuple[bool, float]] = []
    with LoopbackServer() as near:
        watch = _watch(tmp_path, ["http://check-host.invalid/"], changes)
        error = NetworkDownError("no name", host="far-host.invalid")
        until = watch.network_down(error, job_host="http://far-host.invalid/a.mp3")
        assert until is not None and watch.circuits.offline_circuit() is not None
        held = watch.held_hosts()
        assert {"far-host.invalid:80", "check-host.invalid:80"} <= held
        assert f"127.0.0.1:{near.port}" not in held
        watch.got_through(near.url("/x.mp3"))  # a loopback job reached its host
    assert watch.circuits.offline_circuit() is None
    assert [offline for offline, _ in changes] == [True, False]
    # The cut-off host still waits; the same failure again is answered without a new opening.
    assert "far-host.invalid:80" in watch.held_hosts()
    assert watch.network_down(error, job_host="http://far-host.invalid/a.mp3") == until
    assert [offline for offline, _ in changes] == [True, False]


def test_host_key_names_hosts_as_probes_do() -> None:
    assert host_key("https://music.youtube.com/search?q=x") == "music.youtube.com:443"
    assert host_key("music.youtube.com") == "music.youtube.com:443"
    assert host_key("http://127.0.0.1:8080/a.mp3") == "127.0.0.1:8080"
    assert host_key("127.0.0.1:8080") == "127.0.0.1:8080"
    assert host_key("http://[::1]:8080/a") == "::1:8080"
    assert host_key("spotify:track:abc") == "" and host_key("") == ""
