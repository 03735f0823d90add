"""IntervalTrigger: differential against tf_agents, and argument checks."""

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
from tf_agents.train import interval_trigger as tfa_interval_trigger

import triggers
from tests import test_case


def random_calls(rng: np.random.Generator, length: int):
  """A random program of calls: ('call', value, force), ('reset',), ('set_start', s)."""
  value = int(rng.integers(-5, 5))
  calls = []
  for _ in range(length):
    kind = rng.choice(['call', 'call', 'call', 'call', 'reset', 'set_start'])
    if kind == 'call':
      # Mostly increasing values, sometimes repeated or going back.
      value += int(rng.choice([0, 1, 1, 2, 3, 7, -2]))
      calls.append(('call', value, bool(rng.random() < 0.2)))
    elif kind == 'reset':
      calls.append(('reset',))
    else:
      calls.append(('set_start', value + int(rng.integers(-3, 4))))
  return calls


def fired_values(trigger_class, interval, start, calls):
  """Runs `calls` on a trigger; returns the values at which it fired."""
  fired = []
  current = [None]
  trigger = trigger_class(interval, lambda: fired.append(current[0]),
                          start=start)
  for call in calls:
    if call[0] == 'call':
      current[0] = call[1]
      trigger(call[1], force_trigger=call[2])
    elif call[0] == 'reset':
      trigger.reset()
    else:
      trigger.set_start(call[1])
  return fired


class IntervalTriggerDifferentialTest(test_case.TestCase,
                                      parameterized.TestCase):

  @parameterized.parameters(range(40))
  def test_fires_at_the_same_values_as_tf_agents(self, seed):
    rng = np.random.default_rng(seed)
    interval = int(rng.choice([-3, -1, 0, 1, 2, 3, 5, 10]))
    start = int(rng.integers(-4, 6))
    calls = random_calls(rng, length=200)
    ours = fired_values(triggers.IntervalTrigger, interval, start, calls)
    theirs = fired_values(tfa_interval_trigger.IntervalTrigger, interval,
                          start, calls)
    self.assertEqual(ours, theirs)
    if interval > 0:
      self.assertNotEmpty(ours, 'a program that never fires tests little')

  def test_never_fires_when_interval_not_positive_even_forced(self):
    fired = []
    for interval in (0, -1):
      trigger = triggers.IntervalTrigger(interval, lambda: fired.append(1))
      trigger(100)
      trigger(200, force_trigger=True)
    self.assertEqual(fired, [])

  def test_force_fires_unless_value_equals_last(self):
    fired = []
    trigger = triggers.IntervalTrigger(10, lambda: fired.append(1), start=3)
    trigger(3, force_trigger=True)
    self.assertEqual(fired, [])
    trigger(4, force_trigger=True)
    self.assertEqual(fired, [1])
    self.assertEqual(trigger.last_trigger_value, 4)


class IntervalTriggerArgumentsTest(test_case.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('bool_interval', dict(interval=True)),
      ('float_interval', dict(interval=5.0)),
      ('str_interval', dict(interval='5')),
      ('none_interval', dict(interval=None)),
      ('bool_start', dict(interval=5, start=False)),
      ('float_start', dict(interval=5, start=1.5)),
  )
  def test_non_integer_is_a_type_error_naming_the_argument(self, kwargs):
    name = 'start' if 'start' in kwargs else 'interval'
    with self.assertRaisesRegex(TypeError, f'^{name} must be an integer'):
      triggers.IntervalTrigger(fn=lambda: None, **kwargs)

  def test_numpy_integers_are_accepted(self):
    trigger = triggers.IntervalTrigger(np.int64(5), lambda: None,
                                       start=np.int32(2))
    self.assertEqual(trigger.interval, 5)
    self.assertIsInstance(trigger.interval, int)

  def test_set_start_checks_its_argument(self):
    trigger = triggers.IntervalTrigger(5, lambda: None)
    with self.assertRaisesRegex(TypeError, 'start must be an integer'):
      trigger.set_start(2.5)

  def test_fn_must_be_callable(self):
    with self.assertRaisesRegex(TypeError, 'fn must be callable'):
      triggers.IntervalTrigger(5, 'not a function')


if __name__ == '__main__':
  absltest.main()
