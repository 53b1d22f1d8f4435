"""Settings whose defaults follow the machine: the size of the query worker pool."""

import os

import pytest

from server import settings as settings_module
from server.settings import MAX_DEFAULT_WORKERS_CPUS, Settings


@pytest.fixture(autouse=True)
def no_workers_in_the_environment(monkeypatch):
    monkeypatch.delenv("BALIKG_WORKERS", raising=False)


def test_the_default_pool_has_a_worker_per_usable_cpu_and_one_more():
    cpus = len(os.sched_getaffinity(0))
    assert Settings().workers == min(cpus, MAX_DEFAULT_WORKERS_CPUS) + 1


@pytest.mark.parametrize(("cpus", "workers"), [(1, 2), (2, 3), (8, 9), (64, 9)])
def test_the_default_pool_stops_growing_past_eight_cpus(monkeypatch, cpus, workers):
    monkeypatch.setattr(settings_module.os, "sched_getaffinity", lambda pid: set(range(cpus)))
    assert Settings().workers == workers


def test_a_worker_count_set_in_the_environment_wins(monkeypatch):
    monkeypatch.setenv("BALIKG_WORKERS", "1")
    assert Settings().workers == 1
