r"""Trains and evaluates an agent described by .gin files.

  train_eval --root_dir=runs/minitaur --gin_file=sac_minitaur.gin
  train_eval --root_dir=runs/pendulum --gin_file=sac_pendulum.gin \
      --interval=1000 --gin_bindings='train_eval.num_iterations = 20000'
  train_eval --root_dir=runs/minitaur --gin_file=sac_minitaur.gin --collectors=2

Outputs under --root_dir, in tf_agents' layout: train/ and eval/ (TensorBoard),
train/checkpoints/ (Learner, for resuming), policies/ (SavedModels and policy
checkpoints), operative_config.gin, and logs/ (the full log of each job).

This module stays light: the console capture starts before TensorFlow is
imported, so that what TensorFlow prints goes to the log file.
"""

from absl import app

from train_eval import console
from train_eval import flag_help

CRASH_EXIT_CODE = 1


def run_main() -> None:
  """Console-script entry point."""
  capture = console.capture()
  from train_eval import main  # pylint: disable=g-import-not-at-top

  def main_fn(argv):
    if len(argv) > 1:
      return main.fail(capture, f'unexpected arguments {argv[1:]}; pass '
                       'options as --flags.')
    try:
      return main.run(capture)
    except Exception as e:  # pylint: disable=broad-except
      return main.crash(capture, e)

  try:
    app.run(main_fn, flags_parser=flag_help.parser(
        console.flags_parser(capture, 'train_eval'), capture.terminal_out,
        lambda argv: flag_help.train_eval_help(__doc__)))
  except SystemExit as e:
    if e.code != CRASH_EXIT_CODE:
      capture.discard()  # Only a log still in the temp dir: nothing ran.
    capture.release()
    raise


if __name__ == '__main__':
  run_main()
