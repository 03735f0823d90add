r"""The `sweep` command: many `train_eval` runs from one command, and their report.

  sweep run --gin_file=sac_pendulum.gin --root_dir=runs/lr \
      --grid='sac_agent.actor_learning_rate = [1e-4, 3e-4, 1e-3]' --seeds=3
  sweep report runs/lr --baseline=actor_learning_rate=0.0003

`sweep run` takes every `train_eval` flag and passes it to each run; see
`sweep run --helpfull`. Re-running the same command resumes the sweep.
"""

import sys

from train_eval import console

USAGE = ('usage: sweep run --gin_file=F --root_dir=D [--grid=...] [--seeds=N] '
         '[train_eval flags]\n       sweep report ROOT [--baseline=POINT]\n')


def run_main() -> None:
  """Console-script entry point: dispatches on the subcommand."""
  command = sys.argv[1] if len(sys.argv) > 1 else None
  if command not in ('run', 'report'):
    sys.stderr.write(USAGE)
    sys.exit(2)
  capture = console.capture()
  from absl import app  # pylint: disable=g-import-not-at-top
  if command == 'run':
    from sweep import run_command as module  # pylint: disable=g-import-not-at-top
  else:
    from sweep import report_command as module  # pylint: disable=g-import-not-at-top
  argv = [f'sweep {command}', *sys.argv[2:]]
  try:
    app.run(lambda args: module.main(args, capture), argv=argv,
            flags_parser=console.flags_parser(capture, f'sweep {command}'))
  finally:
    capture.discard()


if __name__ == '__main__':
  run_main()
