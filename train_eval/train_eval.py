r"""Trains and evaluates an agent described by .gin files.

  train_eval --root_dir=runs/minitaur --gin_file=sac_minitaur.gin
  train_eval --root_dir=runs/pendulum --gin_file=sac_pendulum.gin \
      --interval=1000 --gin_bindings='train_eval.num_iterations = 20000'

Outputs under --root_dir, in tf_agents' layout: train/ and eval/ (TensorBoard),
train/checkpoints/ (Learner, for resuming), policies/ (SavedModels and policy
checkpoints), operative_config.gin.
"""

import sys

from absl import app
from absl import flags
from absl import logging

import triggers
from triggers import argument_checks
from train_eval import agents  # pylint: disable=unused-import  (registers configurables)
from train_eval import experiment
from train_eval import flag_bindings
from train_eval import gin_config
from train_eval import shadowed_bindings
from train_eval import stop_signals

_ROOT_DIR = flags.DEFINE_string(
    'root_dir', None, 'Experiment directory; re-use it to resume.',
    required=True)
_GIN_FILE = flags.DEFINE_multi_string(
    'gin_file', [], 'A gin file path, or a packaged config name such as '
    'sac_minitaur.gin. Repeatable; later files override earlier ones.')
_GIN_BINDINGS = flags.DEFINE_multi_string(
    'gin_bindings', [], 'A gin binding, e.g. "train_eval.num_iterations = 500". '
    'Repeatable; applied after the gin files.')
# Policy saver flags: None means "not set", and then no binding is added.
_SAVER_FLAGS = {
    'interval': flags.DEFINE_integer(
        'interval', None, 'Train steps between policy checkpoints (>= 1); '
        'binds PolicySavedModelTrigger.interval.'),
    'start': flags.DEFINE_integer(
        'start', None, 'Train step the save interval counts from; binds '
        'PolicySavedModelTrigger.start.'),
    'save_greedy_policy': flags.DEFINE_boolean(
        'save_greedy_policy', None, 'Export greedy_policy/; binds '
        'PolicySavedModelTrigger.save_greedy_policy.'),
    'save_collect_policy': flags.DEFINE_boolean(
        'save_collect_policy', None, 'Export collect_policy/; binds '
        'PolicySavedModelTrigger.save_collect_policy.'),
    'async_saving': flags.DEFINE_boolean(
        'async_saving', None, 'Write policy checkpoints on a background '
        'thread; binds PolicySavedModelTrigger.async_saving.'),
    'max_to_keep': flags.DEFINE_integer(
        'max_to_keep', None, 'Keep only this many newest policy checkpoints; '
        'binds PolicySavedModelTrigger.max_to_keep.'),
    'keep_every_n_steps': flags.DEFINE_integer(
        'keep_every_n_steps', None, 'Never delete policy checkpoints at '
        'multiples of this step; binds '
        'PolicySavedModelTrigger.keep_every_n_steps.'),
    'interval_secs': flags.DEFINE_float(
        'interval_secs', None, 'Also save a policy checkpoint every this many '
        'seconds; binds PolicySavedModelTrigger.interval_secs.'),
    'best_metric': flags.DEFINE_string(
        'best_metric', None, 'Export policies/best_policy/ when this eval '
        'metric improves (e.g. AverageReturn); binds '
        'PolicySavedModelTrigger.best_metric.'),
    'best_mode': flags.DEFINE_enum(
        'best_mode', None, ['max', 'min'], 'Whether a larger or smaller '
        '--best_metric is better; binds PolicySavedModelTrigger.best_mode.'),
    'overwrite_existing': flags.DEFINE_boolean(
        'overwrite_existing', None, 'Delete policies of another agent found '
        'in root_dir/policies instead of failing; binds '
        'PolicySavedModelTrigger.overwrite_existing.'),
}

# Bad input: a message naming the problem, exit status 2, root_dir untouched.
CONFIG_ERRORS = (gin_config.ConfigError, flag_bindings.ConflictError,
                 triggers.BadArgument, ValueError, SyntaxError)
# Bad input found while assembling (a bound value of the wrong type, a root_dir
# holding another agent's policies): reported the same way.
ASSEMBLY_ERRORS = (triggers.BadArgument, shadowed_bindings.ShadowedBindingError)


def configure() -> None:
  """Flags -> bindings -> strict gin parse. Writes nothing.

  Raises:
    One of CONFIG_ERRORS.
  """
  if not _GIN_FILE.value:
    raise gin_config.ConfigError(
        'Give at least one --gin_file, e.g. --gin_file=sac_pendulum.gin. '
        f'Packaged configs: {", ".join(gin_config.available_configs())}.')
  saver_bindings = flag_bindings.saver_bindings(
      {name: flag.value for name, flag in _SAVER_FLAGS.items()})
  flag_bindings.check_conflicts(saver_bindings, _GIN_BINDINGS.value)
  gin_config.parse(_GIN_FILE.value, saver_bindings + _GIN_BINDINGS.value)


def main(argv) -> int:
  if len(argv) > 1:
    return _fail(f'unexpected arguments {argv[1:]}; pass options as --flags.')
  logging.set_verbosity(logging.INFO)
  try:
    configure()
    argument_checks.ensure_writable_dir('--root_dir', _ROOT_DIR.value)
  except CONFIG_ERRORS as e:
    return _fail(str(e))
  try:
    with stop_signals.StopRequest() as stop:
      result = experiment.train_eval(_ROOT_DIR.value, stop_request=stop)
  except ASSEMBLY_ERRORS as e:
    return _fail(str(e))
  print(f'Finished at train step {result["train_step"]}.')
  if result['eval']:
    print('Last evaluation: ' + ', '.join(
        f'{k} = {v:.3f}' for k, v in result['eval'].items()))
  print(f'Policy checkpoints at steps {result["checkpoints"]} in '
        f'{_ROOT_DIR.value}/policies/checkpoints')
  return 0


def _fail(message: str) -> int:
  print(f'train_eval: error: {message}', file=sys.stderr)
  return 2


def run_main() -> None:
  """Console-script entry point."""
  app.run(main)


if __name__ == '__main__':
  run_main()
