"""The kinds of job a run is made of, each described once.

`main` picks a kind's runner by `--job`; both launchers start the launched
kinds from `instances`, restart those that die (up to `MAX_RESTARTS` each) and
stop them in `stop_order`; `threads` takes each kind's thread defaults.
A new kind of job is one more `JobKind` here; the kinds 'all', 'train' and
'collect' run their on-policy variant for an on-policy agent (`by_agent`).
"""

import dataclasses
from typing import Any, Callable, Dict, List, Optional, Tuple

from train_eval.jobs import collect_job
from train_eval.jobs import context as context_lib
from train_eval import agents
from train_eval.jobs import eval_job
from train_eval.jobs import on_policy
from train_eval.jobs import on_policy_collect
from train_eval.jobs import on_policy_train
from train_eval.jobs import replay_job
from train_eval.jobs import single_process
from train_eval.jobs import train_job

# Restarts per launched job before the launcher gives up on the run.
MAX_RESTARTS = 10


@dataclasses.dataclass(frozen=True)
class JobKind:
  """One `--job` value.

  Attributes:
    name: the `--job` value.
    run: the job itself; returns what its summary lines report.
    launched: started by the launchers (every kind but 'all').
    per_task: one job per collector, `--task=i --collectors=N`.
    counts_collectors: gets `--collectors=N` (the on-policy learner waits for
      a sequence from each).
    serves_replay: gets `--replay_port`.
    uses_replay: gets `--replay_address`.
    needs_eval: started only when the run evaluates (eval_interval > 0).
    stop_order: launchers stop lower orders first and wait for them.
    stop_timeout_secs: how long a stop may take before the job is killed.
    num_cpus: logical CPUs a Ray actor of this kind asks for.
    threads: default TensorFlow (intra-op, inter-op) threads; 0: TF decides.
    expects_stop: a stop request is its normal end (logged at INFO).
  """
  name: str
  run: Callable[[context_lib.JobContext], Dict[str, Any]]
  launched: bool = True
  per_task: bool = False
  counts_collectors: bool = False
  serves_replay: bool = False
  uses_replay: bool = False
  needs_eval: bool = False
  stop_order: int = 0
  stop_timeout_secs: float = 30
  num_cpus: float = 1
  threads: Tuple[int, int] = (1, 1)
  expects_stop: bool = False


def by_agent(off_policy: Callable[[context_lib.JobContext], Dict[str, Any]],
             on_policy_run: Callable[[context_lib.JobContext], Dict[str, Any]]):
  """A job that runs `on_policy_run` for an on-policy agent, else `off_policy`."""
  def run(context: context_lib.JobContext) -> Dict[str, Any]:
    if agents.is_on_policy(context.experiment.agent_fn):
      return on_policy_run(context)
    return off_policy(context)
  return run


run_all = by_agent(single_process.run, on_policy.run)
run_train = by_agent(train_job.run, on_policy_train.run)
run_collect = by_agent(collect_job.run, on_policy_collect.run)


# Thread defaults: benchmarks/results/actor_learner.md (see threads.py).
KINDS: Dict[str, JobKind] = {kind.name: kind for kind in (
    JobKind('all', run_all, launched=False, threads=(1, 2)),
    JobKind('replay', replay_job.run, serves_replay=True, stop_order=2,
            stop_timeout_secs=60, num_cpus=0, expects_stop=True),
    JobKind('train', run_train, uses_replay=True, counts_collectors=True,
            stop_order=1, stop_timeout_secs=180),
    JobKind('collect', run_collect, per_task=True, uses_replay=True),
    JobKind('eval', eval_job.run, needs_eval=True),
)}


@dataclasses.dataclass(frozen=True)
class Instance:
  """One launched job: e.g. collect-1 is kind 'collect', task 1."""
  kind: JobKind
  task: int = 0

  @property
  def name(self) -> str:
    """Its log's and prefix's name: 'replay', 'collect-1'."""
    return f'{self.kind.name}-{self.task}' if self.kind.per_task else self.kind.name


def instances(collectors: int, with_eval: bool) -> List[Instance]:
  """The jobs a launcher starts, in start order (the replay server first)."""
  found = []
  for kind in KINDS.values():
    if not kind.launched or (kind.needs_eval and not with_eval):
      continue
    tasks = range(collectors) if kind.per_task else [0]
    found += [Instance(kind, task) for task in tasks]
  return found


def stop_groups(jobs: List[Instance]) -> List[List[Instance]]:
  """`jobs` grouped by `stop_order`, lowest first."""
  orders = sorted({job.kind.stop_order for job in jobs})
  return [[job for job in jobs if job.kind.stop_order == order]
          for order in orders]


def job_fields(instance: Instance, collectors: int,
               replay_address: Optional[str], replay_port: Optional[int]
               ) -> Dict[str, Any]:
  """The `Invocation` fields that make a process this job."""
  kind = instance.kind
  return {
      'job': kind.name,
      'task': instance.task if kind.per_task else 0,
      'collectors': (collectors if kind.per_task or kind.counts_collectors
                     else None),
      'replay_address': replay_address if kind.uses_replay else None,
      'replay_port': replay_port if kind.serves_replay else None,
  }
