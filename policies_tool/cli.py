r"""policies: inspect the policies a train_eval run saved.

  policies list     --root_dir=runs/pendulum
  policies evaluate --root_dir=runs/pendulum --checkpoint=latest --episodes=10
  policies plot     --root_dir=runs/a --root_dir=runs/b --out=curves.png
  policies video    --root_dir=runs/pendulum --checkpoint=best --out=episode.mp4
  policies export   --root_dir=runs/pendulum --checkpoint=8000 --out=exported/

video writes MP4 (H.264) or GIF, by the --out extension (.mp4 or .gif).
evaluate, video and export lease the checkpoint while they read it, so a run
still training with --max_to_keep does not delete it under them.
"""

import sys

from absl import app
from absl import flags

from policies_tool import evaluation
from policies_tool import export as export_lib
from policies_tool import listing
from policies_tool import plotting
from policies_tool import run_dir as run_dir_lib
from policies_tool import video

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

SUBCOMMANDS = ('list', 'evaluate', 'plot', 'video', 'export')


def _one_root_dir() -> str:
  """The single --root_dir; raises PoliciesError for none or several."""
  if len(_ROOT_DIR.value) != 1:
    raise run_dir_lib.PoliciesError('Give one --root_dir.')
  return _ROOT_DIR.value[0]


def _out() -> str:
  """--out; raises PoliciesError if missing."""
  if not _OUT.value:
    raise run_dir_lib.PoliciesError('Give --out.')
  return _OUT.value


def run(subcommand: str) -> None:
  """Runs one subcommand from the flags; prints its result.

  Args:
    subcommand: one of SUBCOMMANDS.

  Raises:
    PoliciesError: a flag, root_dir or checkpoint the subcommand cannot use.
  """
  if subcommand == 'list':
    print(listing.format_table(listing.list_policies(_one_root_dir())))
  elif subcommand == 'evaluate':
    result = evaluation.evaluate(_one_root_dir(), _CHECKPOINT.value,
                                 _EPISODES.value, _SEED.value, _POLICY.value)
    print(f'{result["checkpoint"]}: AverageReturn = '
          f'{result["AverageReturn"]:.6f}, AverageEpisodeLength = '
          f'{result["AverageEpisodeLength"]:.6f}')
  elif subcommand == 'plot':
    if not _ROOT_DIR.value:
      raise run_dir_lib.PoliciesError('Give at least one --root_dir.')
    print(plotting.plot(_ROOT_DIR.value, _out()))
  elif subcommand == 'video':
    frames = video.record_video(_one_root_dir(), _out(), _CHECKPOINT.value,
                                _MAX_STEPS.value, seed=_SEED.value)
    print(f'{_out()}: {frames} frames')
  elif subcommand == 'export':
    print(export_lib.export(_one_root_dir(), _CHECKPOINT.value, _out(),
                            _POLICY.value))


def main(argv) -> int:
  """Runs `argv[1]`; returns 0, or 2 after printing a usage or PoliciesError."""
  if len(argv) != 2 or argv[1] not in SUBCOMMANDS:
    print(f'policies: error: give one subcommand of {", ".join(SUBCOMMANDS)}.'
          f'\n{__doc__}', file=sys.stderr)
    return 2
  try:
    run(argv[1])
  except run_dir_lib.PoliciesError as e:
    print(f'policies: error: {e}', file=sys.stderr)
    return 2
  return 0


def run_main() -> None:
  """Console-script entry point."""
  app.run(main)


if __name__ == '__main__':
  run_main()
