"""`sweep run`: its flags, the checks before any run, the runs, the summary.

Every `train_eval` flag is defined here too (by importing `train_eval.main`)
and passed to each run, except --root_dir (the sweep's root), --gin_file
(with --configs, per config), and --launcher / --ray_address, which pick the
sweep's launcher.
"""

import os
from typing import List

from absl import flags

from sweep import grid as grid_lib
from sweep import local_launcher
from sweep import manifest
from sweep import run_process
from sweep import scheduler as scheduler_lib
from sweep import table as table_lib
from sweep import validation
from train_eval import console
from train_eval import errors
from train_eval import configure as configure_lib
from train_eval import job_runner
from train_eval import main as train_eval_main
from train_eval import stop_signals
from train_eval import threads

FLAGS = flags.FLAGS
INTERRUPTED_EXIT_CODE = 130

_GRID = flags.DEFINE_multi_string(
    'grid', [], "A gin parameter and its values, e.g. --grid='sac_agent."
    "actor_learning_rate = [1e-4, 3e-4]'. Repeatable: the runs are the product "
    'of the grids. With --search=optuna, a range: loguniform(LOW, HIGH), '
    'uniform(LOW, HIGH), intuniform(LOW, HIGH), or a list to choose from.')
_SEEDS = flags.DEFINE_integer(
    'seeds', 1, 'Runs per grid point, bound as train_eval.seed = 0 .. N-1.')
_CONFIGS = flags.DEFINE_list(
    'configs', [], 'Gin files to sweep, one per run (e.g. a.gin,b.gin); the '
    '--gin_file files apply after each.')
_PARALLEL = flags.DEFINE_integer(
    'parallel', None, 'Runs at once. Default: the CPUs (this machine\'s, or the '
    'Ray cluster\'s) divided by the threads of one run (--job_threads).')
_SEARCH = flags.DEFINE_enum(
    'search', None, ['optuna'], 'Search the --grid ranges with Optuna (TPE, '
    'median-rule pruning on the evaluations) instead of running the grid; '
    'pip install gin-triggers[optuna].')
_TRIALS = flags.DEFINE_integer(
    'trials', 20, 'With --search: trials in all (a re-run continues to this '
    'many).')


def cpus_per_run() -> int:
  """CPUs one run keeps busy: its intra-op threads, or its jobs with --collectors."""
  if FLAGS.collectors:
    return FLAGS.collectors + 2  # Collectors, learner, evaluator; replay waits.
  intra, _ = threads.parse(FLAGS.job_threads)['all']
  return intra or (os.cpu_count() or 1)


def configs() -> List[List[str]]:
  """Each run's --gin_file list: one per --configs entry, then --gin_file."""
  if _CONFIGS.value:
    return [[c, *FLAGS.gin_file] for c in _CONFIGS.value]
  if not FLAGS.gin_file:
    raise errors.GinFileError('Give --gin_file=F (or --configs=a.gin,b.gin), '
                              'e.g. --gin_file=sac_pendulum.gin.')
  return [list(FLAGS.gin_file)]


def check_flags() -> None:
  if _SEEDS.value < 1:
    raise errors.BadValueError(f'--seeds={_SEEDS.value}: must be >= 1.')
  if _PARALLEL.value is not None and _PARALLEL.value < 1:
    raise errors.BadValueError(f'--parallel={_PARALLEL.value}: must be >= 1.')
  if _SEARCH.value and _SEEDS.value != 1:
    raise errors.BadValueError(
        '--search runs one seed per trial; drop --seeds, and run the best '
        'trial\'s values as a grid with --seeds=N.')
  if _SEARCH.value and _TRIALS.value < 1:
    raise errors.BadValueError(f'--trials={_TRIALS.value}: must be >= 1.')


def make_launcher():
  if FLAGS.launcher == 'ray':
    from sweep import ray_launcher  # pylint: disable=g-import-not-at-top
    return ray_launcher.RayLauncher(FLAGS.ray_address, cpus_per_run())
  return local_launcher.LocalLauncher()


def summary(items, root_dir: str, interrupted: bool) -> List[str]:
  """The lines after the table: counts, each failure with its error line."""
  count = lambda state: sum(i.status.state == state for i in items)
  earlier = sum(i.status.state == run_process.DONE and not i.started
                for i in items)
  lines = [f'Sweep {root_dir}: {len(items)} runs: '
           f'{count(run_process.DONE) - earlier} done now, {earlier} done '
           f'earlier, {count(run_process.FAILED)} failed, '
           f'{count(run_process.STOPPED)} stopped, '
           f'{count(run_process.QUEUED)} not started.']
  lines += [f'FAILED {i.name}: {i.status.error}' for i in items
            if i.status.state == run_process.FAILED]
  if interrupted:
    lines.append('Stopped: each run saved where it was; re-run the same '
                 'command to resume.')
  else:
    lines.append(f'Report: sweep report {root_dir}')
  return lines


def main(argv: List[str], capture: console.Capture) -> int:
  """Checks everything, then runs the sweep; returns the exit status."""
  out, err = capture.terminal_out, capture.terminal_err
  if len(argv) > 1:
    err.write(f'sweep run: error: unexpected arguments {argv[1:]}; pass '
              'options as --flags.\n')
    return 2
  root_dir = FLAGS.root_dir
  try:
    check_flags()
    run_flags = validation.run_flags()
    if _SEARCH.value:
      from sweep import search  # pylint: disable=g-import-not-at-top
      plan = search.Plan(configs()[0], _GRID.value, FLAGS.gin_bindings)
      parameters = plan.parameters()
    else:
      grids = [grid_lib.parse_grid(text) for text in _GRID.value]
      runs = grid_lib.expand(configs(), grids, _SEEDS.value)
      settings = validation.check(runs, FLAGS.gin_bindings)
      parameters = [g.parameter for g in grids]
    wanted = manifest.describe(run_flags, parameters, _SEARCH.value)
    manifest.check(root_dir, wanted)
    configure_lib.check_root_dir(root_dir)
    launcher = make_launcher()
  except errors.UsageError as e:
    message = ' '.join(job_runner.GIN_CONTEXT.sub('', str(e)).splitlines())
    err.write(f'sweep run: error: {message}\n')
    return 2
  manifest.write(root_dir, wanted)
  capture.move_to(console.log_path(root_dir, 'sweep'))
  try:
    if hasattr(launcher, 'check_root_reachable'):
      launcher.check_root_reachable(root_dir)
    parallel = _PARALLEL.value or (
        launcher.cluster_parallel() if hasattr(launcher, 'cluster_parallel')
        else max(1, (os.cpu_count() or 1) // cpus_per_run()))
    with stop_signals.StopRequest() as stop:
      if _SEARCH.value:
        items, lines = search.run(plan, root_dir, run_flags, _TRIALS.value,
                                  launcher, parallel, out,
                                  lambda: stop.requested)
      else:
        items = run_grid(runs, settings, root_dir, run_flags, launcher,
                         parallel, out, lambda: stop.requested)
        lines = []
  except errors.UsageError as e:
    err.write(f'sweep run: error: {e}\n')
    return 2
  finally:
    launcher.close()
  for line in summary(items, root_dir, stop.requested) + lines:
    out.write(line + '\n')
  if stop.requested:
    return INTERRUPTED_EXIT_CODE
  return 1 if any(i.status.state != run_process.DONE for i in items) else 0


def run_grid(runs, settings, root_dir, run_flags, launcher, parallel, out,
             stop_requested) -> List[scheduler_lib.Item]:
  """Runs the grid's runs; returns them with their final states."""
  queue = [
      scheduler_lib.Item(
          name=run.name, run_dir=os.path.join(root_dir, run.name),
          args=run_process.run_args(os.path.join(root_dir, run.name),
                                    list(run.gin_files), run.all_bindings(),
                                    run_flags),
          num_iterations=settings[run.point].num_iterations)
      for run in runs]
  table = table_lib.Table(out, len(queue))
  scheduler = scheduler_lib.Scheduler(launcher, parallel, table.update,
                                      stop_requested)
  items = scheduler.run(lambda: queue.pop(0) if queue else None)
  items += queue  # Not started (a stop came first).
  table.finish(items)
  return items
