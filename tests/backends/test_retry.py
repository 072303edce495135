"""Retry policy: which statuses retry, Retry-After parsing, backoff bounds."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from harness.generation.backends.retry import RetryPolicy, is_retryable_status, parse_retry_after, retry_delay


@pytest.mark.parametrize("status,expected", [(429, True), (500, True), (503, True), (599, True),
                                             (400, False), (401, False), (404, False), (422, False)])
def test_only_429_and_5xx_are_retryable(status, expected):
    assert is_retryable_status(status) is expected


def test_retry_after_seconds_and_http_date():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None


def test_backoff_doubles_with_jitter_and_is_capped():
    policy, rng = RetryPolicy(backoff=1.0, max_backoff=4.0), random.Random(0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        delays = {retry_delay(policy, attempt, None, rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered


def test_retry_after_is_a_floor_and_too_long_gives_up():
    policy = RetryPolicy(backoff=0.1, max_retry_after=60)
    assert retry_delay(policy, 1, 5.0) == 5.0
    assert retry_delay(policy, 1, 61.0) is None
