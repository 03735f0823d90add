r"""policies: inspect the policies a train_eval run saved.

  policies list     --root_dir=runs/pendulum
  policies evaluate --root_dir=runs/pendulum --checkpoint=latest --episodes=10
  policies plot     --root_dir=runs/a --root_dir=runs/b --out=curves.png
  policies video    --root_dir=runs/pendulum --checkpoint=best --out=episode.mp4
  policies export   --root_dir=runs/pendulum --checkpoint=latest --out=deploy/pendulum

video writes MP4 (H.264) or GIF, by the --out extension (.mp4 or .gif).
evaluate, video and export lease the checkpoint while they read it, so a run
still training with --max_to_keep does not delete it under them.

What TensorFlow and the environments print goes to a log file that is kept
(and named) only if the command fails unexpectedly; the terminal gets the
result, the evaluation bar and errors.
"""

import sys
from typing import TextIO

from absl import app
from absl import flags

from train_eval import console
from train_eval import flag_help

_ROOT_DIR = flags.DEFINE_multi_string(
    'root_dir', [], 'A train_eval --root_dir; plot takes several.')
_CHECKPOINT = flags.DEFINE_string(
    'checkpoint', 'latest', "'latest', 'best' or a train step.")
_EPISODES = flags.DEFINE_integer('episodes', 10,
                                 'evaluate: episodes to run, at least 1.')
_SEED = flags.DEFINE_integer('seed', 0, 'Environment seed.')
_OUT = flags.DEFINE_string(
    'out', None, 'plot: a .png; video: an .mp4 (H.264) or a .gif; export: a '
    'new directory.')
_MAX_STEPS = flags.DEFINE_integer('max_steps', None,
                                  'video: stop after this many steps.')
_POLICY = flags.DEFINE_enum(
    'policy', 'greedy_policy', ['greedy_policy', 'policy', 'collect_policy'],
    'The SavedModel a checkpoint is loaded into.')
FLAGS = (_ROOT_DIR, _CHECKPOINT, _EPISODES, _SEED, _OUT, _MAX_STEPS, _POLICY)

# Subcommand -> (what it does, the flags it reads).
SUBCOMMAND_HELP = {
    'list': ('Each saved policy checkpoint: step, time, size, env_step, eval '
             'return; * marks the best.', ('root_dir',)),
    'evaluate': ('Runs episodes of a saved policy in the run\'s own '
                 'environment; prints AverageReturn and AverageEpisodeLength.',
                 ('root_dir', 'checkpoint', 'episodes', 'seed', 'policy')),
    'plot': ('Eval AverageReturn against train step, a curve per --root_dir.',
             ('root_dir', 'out')),
    'video': ('An episode of a saved policy as MP4 (H.264) or GIF.',
              ('root_dir', 'checkpoint', 'out', 'max_steps', 'seed')),
    'export': ('A self-contained SavedModel of one checkpoint, loadable by '
               'tf.saved_model.load with TensorFlow alone.',
               ('root_dir', 'checkpoint', 'out', 'policy')),
}
SUBCOMMANDS = tuple(SUBCOMMAND_HELP)


def _one_root_dir() -> str:
  """The single --root_dir; raises PoliciesError for none or several."""
  from policies_tool import run_dir as run_dir_lib  # pylint: disable=g-import-not-at-top
  if len(_ROOT_DIR.value) != 1:
    raise run_dir_lib.PoliciesError('Give one --root_dir.')
  return _ROOT_DIR.value[0]


def _out() -> str:
  """--out; raises PoliciesError if missing."""
  from policies_tool import run_dir as run_dir_lib  # pylint: disable=g-import-not-at-top
  if not _OUT.value:
    raise run_dir_lib.PoliciesError('Give --out.')
  return _OUT.value


def run(subcommand: str, out: TextIO = sys.stdout,
        err: TextIO = sys.stderr) -> None:
  """Runs one subcommand from the flags; prints its result.

  Args:
    subcommand: one of SUBCOMMANDS.
    out: where the result goes.
    err: where the evaluation bar goes.

  Raises:
    PoliciesError: a flag, root_dir or checkpoint the subcommand cannot use.
  """
  # pylint: disable=g-import-not-at-top  (TensorFlow comes after the capture)
  from policies_tool import evaluation
  from policies_tool import exporting
  from policies_tool import listing
  from policies_tool import plotting
  from policies_tool import run_dir as run_dir_lib
  from policies_tool import video
  # pylint: enable=g-import-not-at-top
  if subcommand == 'list':
    print(listing.format_table(listing.list_policies(_one_root_dir())),
          file=out)
    for line in listing.invalid_entries(_one_root_dir()):
      print(line, file=err)
  elif subcommand == 'evaluate':
    result = evaluation.evaluate(_one_root_dir(), _CHECKPOINT.value,
                                 _EPISODES.value, _SEED.value, _POLICY.value,
                                 progress=err)
    print(f'{result["checkpoint"]}: AverageReturn = '
          f'{result["AverageReturn"]:.6f}, AverageEpisodeLength = '
          f'{result["AverageEpisodeLength"]:.6f}', file=out)
  elif subcommand == 'plot':
    if not _ROOT_DIR.value:
      raise run_dir_lib.PoliciesError('Give at least one --root_dir.')
    print(plotting.plot(_ROOT_DIR.value, _out()), file=out)
  elif subcommand == 'video':
    frames = video.record_video(_one_root_dir(), _out(), _CHECKPOINT.value,
                                _MAX_STEPS.value, seed=_SEED.value)
    print(f'{_out()}: {frames} frames', file=out)
  elif subcommand == 'export':
    print(exporting.export(_one_root_dir(), _CHECKPOINT.value, _out(),
                            _POLICY.value), file=out)


def help_text(argv) -> str:
  """`policies --help`, or `policies SUBCOMMAND --help`: the flags it reads."""
  named = [arg for arg in argv[1:] if arg in SUBCOMMANDS]
  if named:
    about, names = SUBCOMMAND_HELP[named[0]]
    return flag_help.format_help(
        f'Usage: policies {named[0]} [flags]\n\n{about}',
        [('flags', names)])
  commands = '\n'.join(f'  {name:<9} {about}'
                        for name, (about, _) in SUBCOMMAND_HELP.items())
  return flag_help.format_help(
      f'Usage: policies SUBCOMMAND [flags]\n\nsubcommands:\n{commands}\n\n'
      f'{__doc__.strip()}\n\n`policies SUBCOMMAND --help`: the flags of one.',
      [('flags', [flag.name for flag in FLAGS])])


def main(argv, capture: console.Capture) -> int:
  """Runs `argv[1]`; returns 0, 2 after a usage or PoliciesError, 1 on a crash."""
  err = capture.terminal_err
  if len(argv) != 2 or argv[1] not in SUBCOMMANDS:
    err.write(f'policies: error: give one subcommand of '
              f'{", ".join(SUBCOMMANDS)}.\n{__doc__}\n')
    return 2
  from policies_tool import run_dir as run_dir_lib  # pylint: disable=g-import-not-at-top
  try:
    run(argv[1], capture.terminal_out, err)
  except run_dir_lib.PoliciesError as e:
    err.write(f'policies: error: {e}\n')
    return 2
  except Exception as e:  # pylint: disable=broad-except
    import traceback  # pylint: disable=g-import-not-at-top
    traceback.print_exc()  # Into the log.
    err.write(f'policies: error: {type(e).__name__}: {e} (full log: '
              f'{capture.path})\n')
    return 1
  return 0


def run_main() -> None:
  """Console-script entry point."""
  capture = console.capture()
  status = 1
  try:
    app.run(lambda argv: main(argv, capture),
            flags_parser=flag_help.parser(
                console.flags_parser(capture, 'policies'),
                capture.terminal_out, help_text))
  except SystemExit as e:
    status = e.code
    raise
  finally:
    if status != 1:
      capture.discard()


if __name__ == '__main__':
  run_main()
