"""flags -> bindings: a table of flag values and the bindings they become."""

from absl.testing import absltest
from absl.testing import parameterized
import gin

import triggers  # pylint: disable=unused-import  (registers the trigger)

from train_eval import errors
from train_eval import flag_bindings
from tests import test_case

NOT_SET = {flag: None for flag in flag_bindings.SAVER_FLAGS}


class SaverBindingsTest(test_case.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('nothing_set', {}, []),
      ('interval', dict(interval=7), ['PolicySavedModelTrigger.interval = 7']),
      ('start', dict(start=100), ['PolicySavedModelTrigger.start = 100']),
      ('start_zero', dict(start=0), ['PolicySavedModelTrigger.start = 0']),
      ('greedy_off', dict(save_greedy_policy=False),
       ['PolicySavedModelTrigger.save_greedy_policy = False']),
      ('collect_on', dict(save_collect_policy=True),
       ['PolicySavedModelTrigger.save_collect_policy = True']),
      ('async', dict(async_saving=True),
       ['PolicySavedModelTrigger.async_saving = True']),
      ('max_to_keep', dict(max_to_keep=3),
       ['PolicySavedModelTrigger.max_to_keep = 3']),
      ('keep_every', dict(keep_every_n_steps=10000),
       ['PolicySavedModelTrigger.keep_every_n_steps = 10000']),
      ('interval_secs', dict(interval_secs=600.0),
       ['PolicySavedModelTrigger.interval_secs = 600.0']),
      ('best_metric', dict(best_metric='AverageReturn'),
       ["PolicySavedModelTrigger.best_metric = 'AverageReturn'"]),
      ('best_mode', dict(best_mode='min'),
       ["PolicySavedModelTrigger.best_mode = 'min'"]),
      ('overwrite', dict(overwrite_existing=True),
       ['PolicySavedModelTrigger.overwrite_existing = True']),
      ('several_in_fixed_order', dict(async_saving=False, interval=5),
       ['PolicySavedModelTrigger.interval = 5',
        'PolicySavedModelTrigger.async_saving = False']),
  )
  def test_set_flags_become_bindings(self, values, expected):
    self.assertEqual(flag_bindings.saver_bindings({**NOT_SET, **values}),
                     expected)

  @parameterized.parameters(
      ('interval', 0), ('interval', -5), ('max_to_keep', 0),
      ('keep_every_n_steps', -1), ('interval_secs', 0.0))
  def test_zero_or_below_is_refused(self, flag, value):
    with self.assertRaisesRegex(ValueError,
                                f'--{flag}={value}: must be greater than 0'):
      flag_bindings.saver_bindings({flag: value})

  def test_every_binding_parses_as_gin(self):
    values = dict(interval=7, start=3, save_greedy_policy=True,
                  save_collect_policy=False, async_saving=True, max_to_keep=2,
                  keep_every_n_steps=100, interval_secs=1.5,
                  best_metric='AverageReturn', best_mode='max',
                  overwrite_existing=False)
    self.assertEqual(set(values), set(flag_bindings.SAVER_FLAGS))
    parsed = flag_bindings.parse_bindings(
        flag_bindings.saver_bindings(values))
    self.assertEqual(
        {key[2]: value for key, (value, _) in parsed.items()}, values)


class ConflictTest(test_case.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('short_name', 'PolicySavedModelTrigger.interval = 9'),
      ('module_name', 'triggers.PolicySavedModelTrigger.interval = 9'),
  )
  def test_flag_and_binding_disagreeing_is_an_error_naming_both(self, binding):
    with self.assertRaises(errors.ConflictError) as raised:
      flag_bindings.check_conflicts(['PolicySavedModelTrigger.interval = 7'],
                                    [binding])
    message = str(raised.exception)
    self.assertIn('PolicySavedModelTrigger.interval = 7', message)
    self.assertIn(binding, message)

  @parameterized.named_parameters(
      ('same_value', ['PolicySavedModelTrigger.interval = 7'],
       {('', 'interval'): 7}),
      ('other_parameter', ['PolicySavedModelTrigger.start = 3'],
       {('', 'interval'): 7, ('', 'start'): 3}),
      ('other_scope', ['eval/PolicySavedModelTrigger.interval = 3'],
       {('', 'interval'): 7, ('eval', 'interval'): 3}),
      ('no_bindings', [], {('', 'interval'): 7}),
  )
  def test_no_conflict(self, user_bindings, expected):
    flag = ['PolicySavedModelTrigger.interval = 7']
    self.assertIsNone(flag_bindings.check_conflicts(flag, user_bindings))
    # Applied together, every parameter has one value: the flag's and the
    # user's bindings both take effect.
    gin.parse_config(flag + user_bindings)
    bound = {(scope, parameter): gin.query_parameter(
        f'{scope + "/" if scope else ""}triggers.PolicySavedModelTrigger.'
        f'{parameter}') for scope, parameter in expected}
    self.assertEqual(bound, expected)

  def test_malformed_binding_names_the_text(self):
    with self.assertRaisesRegex(
        errors.MalformedBindingError,
        'PolicySavedModelTrigger.interval = = 7.*malformed'):
      flag_bindings.check_conflicts(
          [], ['PolicySavedModelTrigger.interval = = 7'])


if __name__ == '__main__':
  absltest.main()
