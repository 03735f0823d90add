"""The train loop of every training job, in phases a subclass overrides.

As Dopamine's `Runner`: `run` goes from the restored train step to
`num_iterations`, each iteration `collect` (experience for the next train
step), `train` (one train step), `after_step`; then every checkpoint is saved
at one step and `end` runs. The one-process job collects in `collect`; the
train job of a split run collects nothing itself (its collectors write into
the replay server). An on-policy loop would collect a batch with the current
weights in `collect`, and train epochs on it and discard it in `train`.
"""

import os
from typing import Optional

from absl import logging

from train_eval import existing_run
from train_eval import gin_config
from train_eval import learning
from train_eval.jobs import context as context_lib


class TrainLoop:
  """Trains `trainer` to `num_iterations`; subclasses override the phases."""

  def __init__(self, context: context_lib.JobContext,
               trainer: learning.Trainer):
    self.context = context
    self.trainer = trainer
    self.experiment = context.experiment

  def run(self) -> int:
    """Trains until `num_iterations` or a stop request, then saves; returns the step."""
    exp, console = self.experiment, self.context.console
    step = self.trainer.step
    self.begin(step)
    logging.info('Training from step %d to %d.', step, exp.num_iterations)
    console.start(step)
    config_written = False
    while step < exp.num_iterations and not self.context.stop.requested:
      self.collect()
      loss = self.train()
      if loss is None:
        self.no_batch()
        continue
      step = self.trainer.step
      if not config_written:
        gin_config.write_operative_config(
            self.context.root_dir, self.trainer.learner.train_summary_writer,
            step)
        config_written = True
      self.after_step(step)
      if exp.log_interval and step % exp.log_interval == 0:
        logging.info('step = %d: loss = %.4f', step, loss)
      console.progress(step, loss)
    console.finish()
    self.stop_collecting()
    self.trainer.save_now(checkpoint_replay=self.context.replay.checkpoint)
    self.end(step)
    return step

  # The phases.
  def begin(self, step: int) -> None:
    """Before the first iteration; training starts (or resumes) at `step`."""

  def collect(self) -> None:
    """Experience for the next train step; none by default (collectors elsewhere)."""

  def train(self) -> Optional[float]:
    """One train step; its loss, or None when no batch came in time."""
    return self.trainer.train()

  def no_batch(self) -> None:
    """`train` found no batch; the loop tries again."""

  def after_step(self, step: int) -> None:
    """After train step `step` (its triggers have run)."""

  def stop_collecting(self) -> None:
    """After the last train step, before the final saves: collection in
    flight finishes and what it wrote is in replay."""

  def end(self, step: int) -> None:
    """After the final saves at `step`."""


def resume_line(step: int, context: context_lib.JobContext,
                table_size: int) -> Optional[str]:
  """'Resuming from step N of M, Learner checkpoint ...; replay ...', or None at step 0.

  Args:
    step: the restored train step.
    context: the job's.
    table_size: items in the experience table now.
  """
  if step == 0:
    return None
  checkpoint = existing_run.learner_checkpoint(context.root_dir)
  missing = context.experiment.initial_collect_steps - table_size
  replay_state = (f'replay empty: collecting {missing} random steps first'
                  if table_size == 0 and missing > 0 else
                  f'replay table restored with {table_size} items' +
                  (f'; collecting {missing} random steps first'
                   if missing > 0 else ''))
  shown = os.path.relpath(checkpoint, context.root_dir) if checkpoint else None
  return (f'Resuming from step {step} of {context.experiment.num_iterations}, '
          f'Learner checkpoint {shown}; {replay_state}.')
