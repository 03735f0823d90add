"""gin: short and module names bind, runtime objects are refused, references build."""

from absl.testing import absltest
from absl.testing import parameterized
import gin
import tensorflow as tf

import triggers
from tests import test_case


@gin.configurable
def trigger_list(factories=()):
  return list(factories)


class GinRegistrationTest(test_case.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.train_step = tf.Variable(0, dtype=tf.int64)

  @parameterized.named_parameters(
      ('short', 'StepPerSecondLogTrigger.interval = 7'),
      ('module', 'triggers.StepPerSecondLogTrigger.interval = 7'),
  )
  def test_binding_by_short_and_module_name(self, binding):
    gin.parse_config(binding)
    trigger = triggers.StepPerSecondLogTrigger(self.train_step)
    self.assertEqual(trigger.interval, 7)

  @parameterized.parameters('IntervalTrigger', 'PolicySavedModelTrigger',
                            'StepPerSecondLogTrigger', 'ReverbCheckpointTrigger')
  def test_every_trigger_is_registered_under_triggers(self, name):
    gin.parse_config(f'triggers.{name}.interval = 3')
    self.assertEqual(gin.query_parameter(f'triggers.{name}.interval'), 3)
    self.assertEqual(gin.query_parameter(f'{name}.interval'), 3)

  @parameterized.named_parameters(
      ('agent', 'PolicySavedModelTrigger', 'agent'),
      ('train_step', 'PolicySavedModelTrigger', 'train_step'),
      ('log_train_step', 'StepPerSecondLogTrigger', 'train_step'),
      ('reverb_client', 'ReverbCheckpointTrigger', 'reverb_client'),
      ('reverb_train_step', 'ReverbCheckpointTrigger', 'train_step'),
      ('fn', 'IntervalTrigger', 'fn'),
  )
  def test_runtime_objects_are_denylisted(self, configurable, arg):
    with self.assertRaisesRegex(
        ValueError,
        f"'triggers.{configurable}' has denylisted kwarg '{arg}'"):
      gin.parse_config(f'triggers.{configurable}.{arg} = 1')

  def test_unknown_parameter_is_refused(self):
    with self.assertRaisesRegex(ValueError, 'intervall'):
      gin.parse_config('PolicySavedModelTrigger.intervall = 5')

  def test_references_built_with_runtime_objects(self):
    gin.parse_config('''
        trigger_list.factories = [@triggers.StepPerSecondLogTrigger,
                                  @triggers.IntervalTrigger]
        triggers.StepPerSecondLogTrigger.interval = 10
        triggers.IntervalTrigger.interval = 4
    ''')
    fired = []
    built = triggers.build_triggers(
        trigger_list(), train_step=self.train_step,
        fn=lambda: fired.append(True), agent='unused by these triggers')
    self.assertEqual([type(t).__name__ for t in built],
                     ['StepPerSecondLogTrigger', 'IntervalTrigger'])
    self.assertEqual([t.interval for t in built], [10, 4])
    built[1](4)
    self.assertEqual(fired, [True])

  def test_build_triggers_refuses_non_callables(self):
    with self.assertRaisesRegex(TypeError, '@triggers.PolicySavedModelTrigger'):
      triggers.build_triggers([5], train_step=self.train_step)

  def test_classes_work_without_gin(self):
    trigger = triggers.StepPerSecondLogTrigger(self.train_step, interval=3,
                                               log_to_terminal=False)
    self.assertEqual(trigger.interval, 3)


if __name__ == '__main__':
  absltest.main()
