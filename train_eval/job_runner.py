"""Runs one job of a run in this process: configured, checked, run, summarised.

Used by `main` (a `train_eval --job=...` process) and by the Ray launcher's
actors, which pass the job's `Invocation` instead of a command line.
"""

import os
import re
from typing import Any, Dict, List, Optional

from absl import logging
from absl.logging import converter

import triggers
from train_eval import agents  # pylint: disable=unused-import  (registers configurables)
from train_eval import checks
from train_eval import configure as configure_lib
from train_eval import console as console_lib
from train_eval import errors
from train_eval import invocation as invocation_lib
from train_eval import stop_signals
from train_eval import threads
from train_eval.jobs import context as context_lib
from train_eval.jobs import table
from train_eval.launch import job_process

# What gin appends to an error raised inside a configurable, also when that
# error's text is quoted inside ours: "\n  In call to configurable 'f' (<...>)".
GIN_CONTEXT = re.compile(r"\n\s*In call to configurable '[^']*' \(<[^>]*>\)")


def start_logging(capture: console_lib.Capture,
                  verbosity: Optional[int]) -> None:
  """absl logs INFO to the log file; the terminal gets what `ConsoleFilter` passes."""
  logging.set_verbosity(logging.INFO if verbosity is None else verbosity)
  console_lib.attach_log_handler(
      capture.terminal_err,
      None if verbosity is None else converter.absl_to_standard(verbosity))


def console_for(context: context_lib.JobContext,
                capture: console_lib.Capture) -> console_lib.Console:
  return console_lib.Console(
      capture.terminal_out, capture.terminal_err,
      context.experiment.num_iterations, context.experiment.log_interval)


def run_job(invocation: invocation_lib.Invocation,
            capture: console_lib.Capture,
            stop: Optional[stop_signals.StopRequest] = None) -> int:
  """Configures, checks and runs `invocation.job`; returns the exit status.

  Args:
    invocation: what to run.
    capture: the console capture started before TensorFlow was imported.
    stop: a stop request to honour (e.g. a Ray actor's); by default one set by
      SIGTERM/SIGINT.
  """
  kind = table.KINDS[invocation.job]
  logging.info('%s', start_line(invocation))
  try:
    context = configure_lib.configure(invocation)
    checks.root_dir(context.root_dir, invocation.job)
    configure_lib.check_root_dir(context.root_dir)
    context.console = console_for(context, capture)
    threads.apply(kind.name, threads.parse(invocation.job_threads))
    context.started = lambda: capture.move_to(
        console_lib.log_path(context.root_dir, invocation.log_name))
    with stop or stop_signals.StopRequest(
        expected=kind.expects_stop) as context.stop:
      result = kind.run(context)
  except (errors.UsageError, triggers.BadArgument) as e:
    return fail(capture, str(e))
  for line in summary_lines(result, context.root_dir):
    context.console.line(line)
  return 0


def start_line(invocation: invocation_lib.Invocation) -> str:
  """What each start of a job logs first: 'Job collect-1 starting (pid 123).'"""
  return f'Job {invocation.log_name} starting (pid {os.getpid()}).'


def run_in_process(invocation: invocation_lib.Invocation,
                   capture: console_lib.Capture,
                   stop: stop_signals.StopRequest) -> int:
  """Runs the job in this process (a Ray actor's); returns its exit status.

  Args:
    invocation: the job's.
    capture: started before this module (and TensorFlow) was imported.
    stop: set by the launcher to stop the job.
  """
  logging.use_absl_handler()
  start_logging(capture, invocation.verbosity)
  try:
    return run_job(invocation, capture, stop)
  except Exception as e:  # pylint: disable=broad-except
    return crash(capture, e)


def summary_lines(result: Dict[str, Any], root_dir: str) -> List[str]:
  """The final lines a job prints."""
  lines = []
  if result.get('train_step') is not None:
    lines.append(f'Finished at train step {result["train_step"]}.')
  if result.get('eval'):
    lines.append('Last evaluation: ' + ', '.join(
        f'{k} = {v:.3f}' for k, v in result['eval'].items()))
  if result.get('inserted') is not None:
    lines.append(f'Replay table: {result["inserted"]} items inserted, '
                 f'{result["sampled"]} sampled.')
  if 'checkpoints' in result:
    steps = result['checkpoints']
    shown = (str(steps) if len(steps) <= 8 else
             f'[{", ".join(map(str, steps[:3]))}, ..., '
             f'{", ".join(map(str, steps[-3:]))}] ({len(steps)} in all)')
    lines.append(f'Policy checkpoints at steps {shown} in '
                 f'{root_dir}/policies/checkpoints')
  return lines


def fail(capture: console_lib.Capture, message: str) -> int:
  """Prints 'train_eval: error: <message>' as one line; returns 2."""
  message = ' '.join(GIN_CONTEXT.sub('', message).splitlines())
  logging.info('Refused: %s', message)  # The log file's copy.
  capture.terminal_err.write(f'train_eval: error: {message}\n')
  capture.terminal_err.flush()
  return job_process.USAGE_ERROR_STATUS


def crash(capture: console_lib.Capture, error: BaseException) -> int:
  """An unexpected error: one line on the terminal, the traceback in the log."""
  if (usage := errors.as_usage_error(error)) is not None: return fail(capture, str(usage))  # pylint: disable=multiple-statements,line-too-long
  logging.exception('train_eval failed.')
  capture.terminal_err.write(
      f'train_eval: error: {type(error).__name__}: {error} (full log: '
      f'{capture.path})\n')
  capture.terminal_err.flush()
  return 1
