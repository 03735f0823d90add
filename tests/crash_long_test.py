"""Crash safety, long: 50 kill -9 trials (`make test-long`; not in CI)."""

from absl.testing import absltest

from tests import crash_harness
from tests import test_case


class KillLongTest(test_case.TestCase):

  def test_fifty_kills(self):
    crash_harness.run_trials(self, trials=50, seed=2026)


if __name__ == '__main__':
  absltest.main()
