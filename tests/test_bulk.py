"""The ordered parallel map: the same results in the same order, in this process and in the pool."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from cocrec import bulk
from cocrec.errors import CocrecError

SMALL, LARGE = 5, bulk.POOL_THRESHOLD + 4  # below the pool threshold, and in the pool


@dataclass(frozen=True)
class Scale:
    """A setup: what every chunk of one worker shares, made once per worker."""

    factor: int

    def __call__(self) -> tuple[int, int]:
        return self.factor, os.getpid()


def scaled(items: list[int], shared: tuple[int, int]) -> list[tuple[int, int]]:
    factor, made_in = shared
    assert made_in == os.getpid(), "a worker uses what its own setup made"
    return [(item * factor, made_in) for item in items]


def fail_on_seven(item: int, _shared: object) -> int:
    if item == 7:
        raise OSError(5, "Input/output error")
    return item


def die_on_seven(item: int, _shared: object) -> int:
    if item == 7:
        os._exit(9)  # as a worker killed by the kernel (out of memory) dies
    return item


@pytest.mark.parametrize("count", [0, SMALL, LARGE])
def test_results_come_in_the_order_of_the_items(count: int) -> None:
    done: list[int] = []
    with bulk.ordered(scaled, list(range(count)), Scale(3), done.append) as results:
        got = list(results)
    assert [value for value, _ in got] == [3 * n for n in range(count)]
    assert sum(done) == count


def test_small_batches_run_here_and_large_ones_in_worker_processes() -> None:
    assert {
        pid for _, pid in bulk.ordered(scaled, list(range(SMALL)), Scale(1), lambda _: None)
    } == {os.getpid()}
    if bulk.workers() > 1:
        pids = {
            pid for _, pid in bulk.ordered(scaled, list(range(LARGE)), Scale(1), lambda _: None)
        }
        assert os.getpid() not in pids and 1 <= len(pids) <= bulk.workers()


@pytest.mark.parametrize("count", [SMALL + 5, LARGE])
def test_an_error_in_a_batch_reaches_the_caller(count: int) -> None:
    with pytest.raises(OSError):
        list(bulk.ordered(bulk.each(fail_on_seven), list(range(count)), Scale(1), lambda _: None))


def test_a_worker_that_dies_is_one_line_that_says_nothing_was_changed() -> None:
    if bulk.workers() == 1:
        pytest.skip("one core: everything runs in this process")
    with pytest.raises(CocrecError) as caught:
        list(bulk.ordered(bulk.each(die_on_seven), list(range(LARGE)), Scale(1), lambda _: None))
    assert (
        str(caught.value)
        == "a worker process stopped (killed, or out of memory): nothing was changed; run the command again"
    )


@pytest.mark.parametrize("count", [SMALL, LARGE * 4])
def test_results_closed_early_give_no_more(count: int) -> None:
    results = bulk.ordered(scaled, list(range(count)), Scale(1), lambda _: None)
    assert next(results)[0] == 0
    results.close()
    with pytest.raises(StopIteration):
        next(results)
