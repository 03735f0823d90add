"""`sweep run --search=optuna`: an Optuna search over ranges of gin parameters.

  --grid='sac_agent.actor_learning_rate = loguniform(1e-5, 1e-2)'
  --grid='sac_agent.actor_fc_layers = [(64, 64), (256, 256)]'   (a choice)

Each trial is one `train_eval` run (seed 0) in ROOT/trial=NNNN/seed=0, on the
same launchers as a grid. Its evaluations are reported to Optuna as they
arrive, and a trial whose evaluation falls below the median of earlier trials
at the same step is stopped (Optuna's median rule; it keeps its last save).
A trial's value is its final score (see `stats.final_score`). The study is
kept in ROOT/optuna.db, so a re-run continues to --trials trials, resuming
trials an interruption stopped.
"""

import ast
import dataclasses
import os
import re
from typing import Any, Dict, List, Optional, Sequence

from sweep import grid as grid_lib
from sweep import report
from sweep import run_process
from sweep import scheduler as scheduler_lib
from sweep import table as table_lib
from sweep import validation

_RANGE = re.compile(r'^\s*([\w./]+)\s*=\s*(loguniform|uniform|intuniform)\((.*)\)\s*$')
STUDY = 'sweep'
TRIAL_SEED = 0


@dataclasses.dataclass(frozen=True)
class Range:
  """A parameter's search space.

  Attributes:
    parameter: the gin parameter.
    kind: 'loguniform', 'uniform', 'intuniform' or 'choice'.
    args: (low, high), or the choices as gin text.
  """
  parameter: str
  kind: str
  args: tuple

  def ends(self) -> List[str]:
    """Values that bound the space, as gin text: checked before any trial."""
    return [repr(a) if self.kind != 'choice' else a for a in self.args]

  def suggest(self, trial) -> str:
    """The trial's value as gin text."""
    if self.kind == 'choice':
      return trial.suggest_categorical(self.parameter, list(self.args))
    if self.kind == 'intuniform':
      return repr(trial.suggest_int(self.parameter, *self.args))
    return repr(trial.suggest_float(self.parameter, *self.args,
                                    log=self.kind == 'loguniform'))


def parse_range(text: str) -> Range:
  """'p = loguniform(1e-5, 1e-2)' (or uniform, intuniform, or a [list]) -> Range.

  Raises:
    grid_lib.GridError: another form, or LOW >= HIGH (or <= 0 for loguniform).
  """
  match = _RANGE.match(text)
  if not match:
    grid = grid_lib.parse_grid(text)  # A list: a choice.
    return Range(grid.parameter, 'choice', grid.values)
  parameter, kind = match.group(1), match.group(2)
  where = f"--grid='{text}'"
  try:
    args = ast.literal_eval(f'({match.group(3)},)')
  except (SyntaxError, ValueError) as e:
    raise grid_lib.GridError(f'{where}: malformed bounds; expected '
                             f'{kind}(LOW, HIGH).') from e
  numeric = all(isinstance(a, (int, float)) and not isinstance(a, bool)
                for a in args)
  if (len(args) != 2 or not numeric or args[0] >= args[1] or
      (kind == 'loguniform' and args[0] <= 0) or
      (kind == 'intuniform' and not all(isinstance(a, int) for a in args))):
    raise grid_lib.GridError(
        f'{where}: expected {kind}(LOW, HIGH) with numbers LOW < HIGH'
        + (', LOW > 0' if kind == 'loguniform' else '')
        + (', integers' if kind == 'intuniform' else '') + '.')
  if parameter == grid_lib.SEED_PARAMETER:
    raise grid_lib.GridError(f'{where}: the sweep binds {parameter} itself.')
  return Range(parameter, kind, tuple(args))


class Plan:
  """The search's configs, ranges and bindings, checked before any trial."""

  def __init__(self, gin_files: Sequence[str], range_texts: Sequence[str],
               user_bindings: Sequence[str]):
    """Raises `errors.UsageError` if a range, or a bound of one, would be refused."""
    if not range_texts:
      raise grid_lib.GridError('--search needs at least one --grid range, e.g. '
                               "--grid='sac_agent.actor_learning_rate = "
                               "loguniform(1e-5, 1e-2)'.")
    self.gin_files = list(gin_files)
    self.ranges = [parse_range(t) for t in range_texts]
    names = [r.parameter for r in self.ranges]
    if len(set(names)) != len(names):
      raise grid_lib.GridError('two --grid flags search the same parameter.')
    checked = [grid_lib.Run(f'{r.parameter}={value}', TRIAL_SEED,
                            tuple(gin_files), (f'{r.parameter} = {value}',))
               for r in self.ranges for value in r.ends()]
    self.settings = validation.check(checked, user_bindings)

  def parameters(self) -> List[str]:
    return sorted(r.parameter for r in self.ranges)


def _trial_item(plan: Plan, root_dir: str, run_flags: List[str], number: int,
                values: Dict[str, str]) -> scheduler_lib.Item:
  name = f'trial={number:04d}/seed={TRIAL_SEED}'
  run = grid_lib.Run(f'trial={number:04d}', TRIAL_SEED, tuple(plan.gin_files),
                     tuple(f'{p} = {v}' for p, v in values.items()))
  num_iterations = next(iter(plan.settings.values())).num_iterations
  run_dir = os.path.join(root_dir, name)
  return scheduler_lib.Item(
      name=name, run_dir=run_dir,
      args=run_process.run_args(run_dir, plan.gin_files, run.all_bindings(),
                                run_flags),
      num_iterations=num_iterations)


def run(plan: Plan, root_dir: str, run_flags: List[str], trials: int, launcher,
        parallel: int, out, stop_requested):
  """Runs the study to `trials` trials; returns (items, summary lines)."""
  import optuna  # pylint: disable=g-import-not-at-top
  optuna.logging.set_verbosity(optuna.logging.WARNING)
  study = optuna.create_study(
      storage=f'sqlite:///{os.path.abspath(os.path.join(root_dir, "optuna.db"))}',
      study_name=STUDY, load_if_exists=True, direction='maximize',
      sampler=optuna.samplers.TPESampler(seed=0),
      pruner=optuna.pruners.MedianPruner(n_startup_trials=min(5, trials // 2),
                                         n_warmup_steps=1))
  live: Dict[str, Any] = {}  # item name -> optuna.trial.Trial
  reported: Dict[str, int] = {}
  # Trials an interruption left running resume first, with their values.
  resumed = [t for t in study.trials
             if t.state == optuna.trial.TrialState.RUNNING]

  def take() -> Optional[scheduler_lib.Item]:
    if resumed:
      frozen = resumed.pop(0)
      values = frozen.user_attrs['bindings']
      trial = optuna.trial.Trial(study, frozen._trial_id)  # pylint: disable=protected-access
    elif len(study.trials) < trials:
      trial = study.ask()
      values = {r.parameter: r.suggest(trial) for r in plan.ranges}
      trial.set_user_attr('bindings', values)
    else:
      return None
    item = _trial_item(plan, root_dir, run_flags, trial.number, values)
    live[item.name] = trial
    return item

  def watch(item: scheduler_lib.Item) -> None:
    trial = live[item.name]
    new = item.status.evaluations[reported.get(item.name, 0):]
    reported[item.name] = len(item.status.evaluations)
    for step, value in new:
      trial.report(value, step)
    if new and trial.should_prune():
      item.stop_reason = 'pruned'

  table = table_lib.Table(out, trials)
  scheduler = scheduler_lib.Scheduler(launcher, parallel, table.update,
                                      stop_requested)
  items = scheduler.run(take, watch)
  table.finish(items)
  for item in items:
    state = item.status.state
    number = live[item.name].number
    if state == run_process.DONE:
      study.tell(number, report.score(item.run_dir))
    elif state == run_process.FAILED:
      study.tell(number, state=optuna.trial.TrialState.FAIL)
    elif state == run_process.STOPPED and item.stop_reason == 'pruned':
      study.tell(number, state=optuna.trial.TrialState.PRUNED)
  return items, _best(study)


def _best(study) -> List[str]:
  import optuna  # pylint: disable=g-import-not-at-top
  complete = study.get_trials(states=[optuna.trial.TrialState.COMPLETE])
  pruned = study.get_trials(states=[optuna.trial.TrialState.PRUNED])
  if not complete:
    return [f'Optuna: no complete trial yet ({len(pruned)} pruned).']
  best = study.best_trial
  values = ', '.join(f'{p} = {v}' for p, v in best.user_attrs['bindings'].items())
  return [f'Optuna: {len(complete)} complete, {len(pruned)} pruned; best trial '
          f'{best.number}: final score {best.value:.2f} with {values}.']
