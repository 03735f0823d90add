"""`policies list`: every complete checkpoint with its step, time, size and metrics."""

import datetime
import os
from typing import Any, Dict, List

import triggers
from policies_tool import run_dir as run_dir_lib
from train_eval import summaries


def list_policies(root_dir: str) -> List[Dict[str, Any]]:
  """One row per complete policy checkpoint, ascending by step.

  Each row: step, wall_time (seconds since the epoch or None), bytes,
  metadata (e.g. env_step), AverageReturn (eval at that step, if any), best.

  Raises:
    PoliciesError: `root_dir` holds no policies.
  """
  run = run_dir_lib.RunDir(root_dir)
  returns = summaries.scalars(root_dir, *summaries.EVAL_RETURN)
  best = run.best()
  rows = []
  for step in run.steps():
    manifest = run.manifest(step)
    rows.append({
        'step': step,
        'wall_time': manifest.get('wall_time'),
        'bytes': manifest.get('total_bytes'),
        'metadata': manifest.get('metadata', {}),
        'AverageReturn': returns.get(step),
        'best': best is not None and best['step'] == step,
    })
  return rows


def format_table(rows: List[Dict[str, Any]]) -> str:
  """The rows as an aligned text table; the best one marked with '*'."""
  header = ['', 'step', 'saved at (UTC)', 'size', 'env_step', 'AverageReturn']
  lines = [header]
  for row in rows:
    saved = (datetime.datetime.fromtimestamp(
        row['wall_time'], datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S')
             if row['wall_time'] else '-')
    size = f'{row["bytes"] / 1e6:.2f} MB' if row['bytes'] else '-'
    env_step = row['metadata'].get('env_step', '-')
    ret = (f'{row["AverageReturn"]:.2f}' if row['AverageReturn'] is not None
           else '-')
    lines.append(['*' if row['best'] else '', str(row['step']), saved, size,
                  str(env_step), ret])
  widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
  return '\n'.join('  '.join(cell.rjust(w) for cell, w in zip(line, widths))
                   .rstrip() for line in lines)


def invalid_entries(root_dir: str) -> List[str]:
  """One line per entry of policies/checkpoints named like a checkpoint that
  is not one (left out of the table), saying what is wrong with it."""
  run = run_dir_lib.RunDir(root_dir)
  return [f'not a checkpoint, left out: {path} {problem}; move it out of '
          f'{os.path.dirname(path)}.'
          for path, problem in sorted(
              triggers.invalid_checkpoints(run.saved_model_dir).items())]
