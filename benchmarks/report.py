"""Turns the results dict into the table (stdout, latest.md) and profile.md."""

from typing import Dict, List, Optional

RERUN = """\
Rerun from the repository root (2-core machine: full mode about 12-20 min,
`--quick` under 3 min; nothing else should be running if you want quiet numbers):

```sh
.venv/bin/python -m benchmarks.run            # full: writes benchmarks/results/latest.{md,json} and profile.md
.venv/bin/python -m benchmarks.run --quick    # fewer repeats and iterations; no profile.md unless --profile
```
"""


def _fmt(summary: Dict, scale: float = 1.0, digits: int = 2,
         unit: str = '') -> str:
  if not summary or summary.get('n', 0) == 0:
    return 'n/a'
  unit = f' {unit}' if unit else ''
  return (f'{summary["median"] * scale:.{digits}f}{unit} '
          f'[{summary["min"] * scale:.{digits}f}–'
          f'{summary["max"] * scale:.{digits}f}]')


def _met(ok: Optional[bool]) -> str:
  if ok is None:
    return '—'
  return 'yes' if ok else '**no**'


NOISE = 0.05  # A ratio this close to its target, with overlapping ranges, is noise.


def _met_vs(ratio: float, target: float, higher_is_better: bool,
            ours: Dict, theirs: Dict) -> str:
  """'yes', or '**no**', marked '(within noise)' when it cannot be told apart.

  Within noise: the ratio misses its target by less than NOISE and ours' and
  tf_agents' [min–max] ranges overlap.
  """
  ok = ratio >= target if higher_is_better else ratio <= target
  if ok:
    return 'yes'
  close = abs(ratio - target) <= NOISE * target
  overlap = ours['min'] <= theirs['max'] and theirs['min'] <= ours['max']
  return '**no** (within noise)' if close and overlap else '**no**'


def rows(results: Dict) -> List[List[str]]:
  """[measure, ours, tf_agents, ours:tf_agents, target, met?] rows."""
  out = []
  idle = results.get('idle_call')
  if idle:
    labels = sorted(idle, key=lambda label: not label.startswith('np.'))
    for i, (label, r) in enumerate((label, idle[label]) for label in labels):
      out.append([
          f'1{"ab"[i]}. Idle trigger call, not firing (ns/call; value is '
          f'{label}; empty Python call = {r["empty_python_call_ns"]:.0f} ns)',
          _fmt(r['ours_ns'], digits=0), _fmt(r['theirs_ns'], digits=0),
          f'{r["ratio"]:.2f}x', 'none (info)', _met(None)])
  loop = results.get('loop')
  if loop:
    ours_r = loop['ours_ratio_with_without']
    theirs_r = loop['theirs_ratio_with_without']

    def cell(w):
      speeds = loop[f'{w}_steps_per_s']
      return (f'{loop[f"{w}_ratio_with_without"]:.4f} (paired '
              f'{loop[f"{w}_paired_ratio"]:.4f}); '
              f'{speeds["median_step_throughput"]:.1f} steps/s '
              f'[{speeds["min"]:.1f}–{speeds["max"]:.1f}]')

    none = loop['none_steps_per_s']
    out.append([
        '1c. Train-loop throughput with the trigger called after each step '
        '÷ without (real SAC train steps, batch 256, in-memory data; '
        'interleaved step by step; ratio of medians (median of paired '
        f'ratios); steps/s [min–max of {loop["chunk"]}-step chunks]; '
        f'without: {none["median_step_throughput"]:.1f} steps/s '
        f'[{none["min"]:.1f}–{none["max"]:.1f}])',
        cell('ours'), cell('theirs'),
        f'{ours_r / theirs_r:.4f}x', 'ours with/without >= 0.99',
        _met(ours_r >= 0.99)])
    out.append([
        '1d. Same loop: share of the loop\'s time spent inside the trigger '
        'call (timed on its own; 1 - share is the exact with/without ratio)',
        f'{100 * loop["ours_trigger_share"]:.4f}% '
        f'({loop["ours_trigger_call_ns_median"]:.0f} ns/call)',
        f'{100 * loop["theirs_trigger_share"]:.4f}% '
        f'({loop["theirs_trigger_call_ns_median"]:.0f} ns/call)',
        f'{loop["ours_trigger_share"] / loop["theirs_trigger_share"]:.2f}x',
        'ours <= 1%', _met(loop['ours_trigger_share'] <= 0.01)])
  cons = results.get('construction')
  if cons:
    out.append([
        '2. Trigger construction: 3 SavedModels into a fresh directory (s; '
        'gc.collect() before each'
        + (f'; GC inside: ours {cons["ours_gc_s"]["median"]:.2f}, tf_agents '
           f'{cons["theirs_gc_s"]["median"]:.2f} s median'
           if 'ours_gc_s' in cons else '')
        + (f'; the trigger\'s own code, outside tf_agents\' PolicySaver '
           f'__init__/save which both call alike: ours '
           f'{1000 * cons["ours_own_code_s"]["median"]:.1f} ms, tf_agents '
           f'{1000 * cons["theirs_own_code_s"]["median"]:.1f} ms'
           if 'ours_own_code_s' in cons else '')
        + (f'; CPU time of the process, ours:tf_agents '
           f'{cons["cpu_ratio"]:.3f}x ({cons["ours_cpu_s"]["median"]:.2f} vs '
           f'{cons["theirs_cpu_s"]["median"]:.2f} s)'
           if 'cpu_ratio' in cons else '') + ')',
        _fmt(cons['ours_s']), _fmt(cons['theirs_s']),
        f'{cons["ratio"]:.2f}x', 'ours:tf_agents <= 1.0x',
        _met_vs(cons['ratio'], 1.0, False, cons['ours_s'],
                cons['theirs_s'])])
  sync = results.get('sync_save')
  if sync:
    out.append([
        '3a. Synchronous policy checkpoint save (ms/save)',
        _fmt(sync['ours_s'], 1000, 1), _fmt(sync['theirs_s'], 1000, 1),
        f'{sync["ratio"]:.2f}x', 'ours:tf_agents <= 1.0x',
        _met_vs(sync['ratio'], 1.0, False, sync['ours_s'],
                sync['theirs_s'])])
    out.append([
        '3b. Bytes on disk per checkpoint',
        f'{sync["ours_bytes"]:,} B', f'{sync["theirs_bytes"]:,} B',
        f'{sync["bytes_ratio"]:.4f}x', 'ours:tf_agents <= 1.0x',
        _met(sync['bytes_ratio'] <= 1.0)])
    disk = sync['disk']
    fsync = disk['fsync_MBps']['median']
    out.append([
        '3c. Save throughput, bytes / median save time (MB/s; % of this '
        'disk\'s fsync\'d sequential write)',
        f'{sync["ours_MBps"]:.1f} ({100 * sync["ours_MBps"] / fsync:.1f}%)',
        f'{sync["theirs_MBps"]:.1f} '
        f'({100 * sync["theirs_MBps"] / fsync:.1f}%)',
        f'{sync["ours_MBps"] / sync["theirs_MBps"]:.2f}x', 'none (info)',
        _met(None)])
    out.append([
        f'3d. This disk: sequential write of {disk["mib"]} MiB in 1 MiB '
        'blocks (MB/s), the physical limit',
        'no fsync: ' + _fmt(disk['no_fsync_MBps'], digits=0),
        'fsync: ' + _fmt(disk['fsync_MBps'], digits=0), '—', 'none (info)',
        _met(None)])
  asy = results.get('async')
  if asy and sync:
    sync_ms = sync['ours_s']['median']
    for interval, r in sorted(asy['scenarios'].items(),
                              key=lambda item: int(item[0])):
      ours_b = r['ours_blocked_s']
      share = ours_b['median'] / sync_ms if ours_b['n'] else float('nan')
      out.append([
          f'4a. Async saving, interval {interval}: time the loop is blocked '
          'in the trigger call that fires (ms/save; ours as % of ours\' '
          'sync save)',
          f'{_fmt(ours_b, 1000, 2)} ({100 * share:.1f}%)',
          _fmt(r['theirs_blocked_s'], 1000, 2),
          f'{r["ratio"]:.2f}x',
          f'ours <= 5% of sync save ({0.05 * 1000 * sync_ms:.2f} ms)',
          _met(share <= 0.05)])
      o, t = r['counts']['ours'], r['counts']['theirs']
      out.append([
          f'4b. Async saving, interval {interval}: saves requested / written '
          '/ coalesced / lost silently',
          f'{o["requested"]} / {o["dirs_on_disk"]} / {o["coalesced"]} / '
          f'{o["lost_silently"]}',
          f'{t["requested"]} / {t["dirs_on_disk"]} / — / '
          f'{t["lost_silently"]}',
          '—', 'ours 0 lost silently', _met(o['lost_silently'] == 0)])
  e2e = results.get('end_to_end')
  if e2e:
    out.append([
        f'5. End to end: tutorial loop iterations/s ({e2e["iterations"]} '
        'iterations, eval off, startup/initial collect/first '
        f'{e2e["log_interval"]} steps excluded)',
        _fmt(e2e['ours_iterations_per_s'], digits=1),
        _fmt(e2e['theirs_iterations_per_s'], digits=1),
        f'{e2e["ratio"]:.2f}x', 'ours:tf_agents >= 1.0x',
        _met_vs(e2e['ratio'], 1.0, True, e2e['ours_iterations_per_s'],
                e2e['theirs_iterations_per_s'])])
    if e2e.get('overlapped_iterations_per_s'):
      out.append([
          '5b. End to end, ours with train_eval.overlapped = True (collection '
          'on its own thread, Reverb SampleToInsertRatio) vs the tutorial loop',
          _fmt(e2e['overlapped_iterations_per_s'], digits=1),
          _fmt(e2e['theirs_iterations_per_s'], digits=1),
          f'{e2e["overlapped_ratio"]:.2f}x', 'ours:tf_agents >= 1.25x',
          _met_vs(e2e['overlapped_ratio'], 1.25, True,
                  e2e['overlapped_iterations_per_s'],
                  e2e['theirs_iterations_per_s'])])
  return out


HEADER = ['Measure', 'ours: median [min–max]', 'tf_agents: median [min–max]',
          'ours:tf_agents (medians)', 'target', 'met?']


def markdown_table(table: List[List[str]]) -> str:
  lines = ['| ' + ' | '.join(HEADER) + ' |',
           '|' + '|'.join('---' for _ in HEADER) + '|']
  for row in table:
    lines.append('| ' + ' | '.join(c.replace('|', '/') for c in row) + ' |')
  return '\n'.join(lines)


def text_table(table: List[List[str]]) -> str:
  """A plain table for the terminal: the measure on its own line, values below."""
  lines = []
  for row in table:
    lines.append(row[0])
    lines.append(f'    ours: {row[1]}')
    lines.append(f'    tf_agents: {row[2]}')
    lines.append(f'    ours:tf_agents {row[3]}   target: {row[4]}   '
                 f'met? {row[5].replace("*", "")}')
  return '\n'.join(lines)


METHOD = """\
## Method

- One process builds the tutorial's SAC agent for MinitaurBulletEnv-v0
  (`train_eval.agents.sac_agent` defaults: (256, 256) actor and critic joint
  layers, Adam 3e-4) and shares it between ours (`triggers.PolicySavedModelTrigger`)
  and tf_agents' (`tf_agents.train.triggers.PolicySavedModelTrigger`). Every
  measure runs ours and theirs alternately (ours, theirs, then theirs, ours,
  ...), repeated; medians are compared; timings use `time.perf_counter`.
  The machine is shared and noisy (load average in the header): read ratios
  within a few percent as equal. "met?" says "**no** (within noise)" when a
  ratio misses its target by less than 5% and ours' and tf_agents' [min–max]
  ranges overlap: such a result cannot be told apart from parity here.
- **1a/1b** `trigger(step)` with interval 10**12, a block of calls per repeat.
  **1c** real compiled `agent.train` steps (batch 256 from an in-memory
  dataset of valid transitions), each followed by
  `trigger(train_step.numpy())` as `Learner.run` does, or by nothing;
  the three variants (none, ours, theirs) interleave step by step in a
  rotating order, each step timed, so the machine's load is common to all.
  **1d** the trigger call timed on its own inside those steps.
- **2** each construction into a fresh directory (policy/, greedy_policy/,
  collect_policy/ SavedModels); ours' timed total includes its spec check and
  atomic rename. `gc.collect()` runs untimed before each: otherwise a gen-2
  collection of this large heap (0.2-0.5 s) lands on whichever construction
  crosses the threshold. One untimed construction of each goes first.
- **3** interval 1, `train_step` advanced before each call so every call saves;
  the first save of each is a warm-up and is not counted. Bytes: the whole
  `policy_checkpoint_*` directory (ours has `manifest.json` in addition to
  `variables/`). Disk: `open/write/close` of N MiB, without and with `fsync`.
- **4** `async_saving=True` for both; a loop of real train steps with the
  trigger called after each; the time of the calls that fire is "blocked".
  Each block is followed by an untimed flush. Requested = calls that fired;
  written = directories on disk; ours' coalesced = `trigger.writer.coalesced`;
  lost silently = requested - written - coalesced (- already present).
  tf_agents drops a request made while its saver thread is writing (it logs
  at INFO and counts nothing).
- **5** subprocesses, alternately: ours is `python -m train_eval.train_eval
  --gin_file=sac_minitaur.gin` with `train_eval.num_iterations`,
  `eval_interval = 0`, `initial_collect_steps` and `log_interval` bound;
  tf_agents' is `python -m benchmarks.tf_agents_loop` (the tutorial's code:
  Reverb, `collect_actor.run()` then `agent_learner.run(iterations=1)`,
  tf_agents' PolicySavedModelTrigger and StepPerSecondLogTrigger; default
  distribution strategy in both). Speed = (last logged step - first logged
  step) / (time between those absl log lines). One short untimed run of
  the tf_agents loop goes first as a warm-up.
"""


def latest_markdown(info: Dict, params: Dict, results: Dict,
                    table: List[List[str]], notes: List[str]) -> str:
  parts = ['# Benchmarks: ours vs tf_agents, side by side', '', RERUN]
  parts.append(f'Mode: **{params["mode"]}**, total wall time '
               f'{results["elapsed_s"] / 60:.1f} min, {info["date"]}.')
  parts.append('')
  parts.append('| machine | |\n|---|---|')
  for key in ('cores', 'cpu_model', 'memory_gib', 'platform',
              'load_average_at_start', 'load_average_at_end', 'python',
              'tensorflow', 'tf_agents', 'reverb', 'git_commit'):
    if key in info:
      parts.append(f'| {key} | {info[key]} |')
  parts.append('')
  parts.append('## Results')
  parts.append('')
  parts.append(markdown_table(table))
  parts.append('')
  if notes:
    parts.append('## Notes')
    parts.append('')
    parts.extend(f'- {n}' for n in notes)
    parts.append('')
  parts.extend(_save_profiles(results))
  parts.append(METHOD)
  parts.append('Parameters: `' + ', '.join(
      f'{k}={v}' for k, v in params.items()) + '`. Raw values: latest.json.')
  return '\n'.join(parts) + '\n'


def _profile_table(title: str, prof: Dict) -> List[str]:
  lines = [f'### {title}', '',
           '| function | calls per save | self ms | cumulative ms |',
           '|---|---|---|---|']
  top = prof['by_cumtime']
  names = {r['function'] for r in top}
  extra = [r for r in prof.get('selected', []) if r['function'] not in names]
  for row in top:
    lines.append(_profile_row(row))
  if extra:
    lines.append('| *... further down, ours\' own functions and named ones:* '
                 '| | | |')
    for row in extra:
      lines.append(_profile_row(row))
  lines.append('')
  return lines


def _profile_row(row: Dict) -> str:
  return (f'| `{row["function"]}` | {row["ncalls_per_call"]:.1f} | '
          f'{row["tottime_ms_per_call"]:.3f} | '
          f'{row["cumtime_ms_per_call"]:.3f} |')


FIRE_PARTS = {
    'whole_fire': 'whole fire: `trigger(step)`',
    'take': '`Snapshotter.take()` (gathered once at construction)',
    'gather': 'not in a fire any more: `checkpoint._saver._gather_serialized_tensors(None)` '
              '(was rebuilt each save before the Snapshotter)',
    'read_each_once': 'for reference: reading and copying every value with '
                      'one eager op each (the old path)',
    'read_savespecs': 'for reference: reading only the SaveSpec-backed values, '
                      'one eager op each',
    'gin_operative_config_str': 'not in a fire any more: '
                                '`gin.operative_config_str()` (hashed into '
                                'manifest.json on the writer thread)',
    'post_process_policy': '`agent.post_process_policy()`',
}


def _save_profiles(results: Dict) -> List[str]:
  """cProfile of single saves: ours and tf_agents' sync save, ours' async fire."""
  sync = (results.get('sync_save') or {}).get('profile') or {}
  fire = (results.get('async') or {}).get('profile_ours_fire')
  if not sync and not fire:
    return []
  lines = ['## Where a save\'s time goes (cProfile, per save)', '',
           'cProfile inflates Python-heavy code; compare the shares. Top 15 '
           'functions by cumulative time, then the rest of ours\' own '
           '(triggers/) functions and a few named TF/gin ones.', '']
  if 'ours' in sync:
    lines += _profile_table(
        f'ours, synchronous save ({sync["ours"]["calls"]} saves)',
        sync['ours'])
  if 'theirs' in sync:
    lines += _profile_table(
        f'tf_agents, synchronous save ({sync["theirs"]["calls"]} saves)',
        sync['theirs'])
  if fire:
    lines += _profile_table(
        f'ours, async_saving=True: the caller\'s part of a fire, writer idle '
        f'({fire["calls"]} fires)', fire)
    decomposition = fire.get('decomposition')
    if decomposition:
      lines += ['### ours, async fire without cProfile: the whole call and '
                'its parts, each timed alone (ms)', '',
                '| part | median [min–max] ms |', '|---|---|']
      for name in [n for n in FIRE_PARTS if n in decomposition] + [
          n for n in decomposition if n not in FIRE_PARTS]:
        lines.append(f'| {FIRE_PARTS.get(name, name)} | '
                     f'{_fmt(decomposition[name], 1, 3)} |')
      lines.append('')
  return lines


def profile_markdown(info: Dict, ours: Dict, theirs: Dict) -> str:
  parts = ['# Profile: one iteration of the tutorial loop, ours vs tf_agents', '']
  parts.append(
      'Produced by `.venv/bin/python -m benchmarks.run` (full mode), from '
      '`python -m benchmarks.profile_loop --which=ours|theirs`: ours is '
      '`train_eval.experiment.train_eval` on sac_minitaur.gin, tf_agents\' is '
      '`benchmarks/tf_agents_loop.py` (the tutorial\'s loop), both with eval '
      'off. Timers wrap `Actor.run` (collect, 1 env step), `Learner.run` '
      '(train step) and every trigger\'s `__call__`, at class level; an '
      f'iteration runs from the end of one `Learner.run` to the end of the '
      f'next. After {ours["warmup"]} warm-up iterations, '
      f'{ours["iterations_timed"]} are timed, then as many run under cProfile '
      '(main thread only; cProfile inflates Python-heavy code). The two '
      'processes ran one after the other on a shared, noisy machine '
      f'({info["cores"]} cores, {info["cpu_model"]}, {info["date"]}); compare '
      'shares, and absolute times only roughly.')
  parts.append('')
  parts.append('## Where one iteration goes (timers, ms per iteration)')
  parts.append('')
  parts.append('| part | ours ms | ours % | tf_agents ms | tf_agents % |')
  parts.append('|---|---|---|---|---|')
  bo, bt = ours['breakdown_ms_per_iteration'], theirs['breakdown_ms_per_iteration']
  io, it = bo['iteration (wall)'], bt['iteration (wall)']
  order = ['iteration (wall)', 'collect: Actor.run',
           'train: Learner.run minus triggers',
           'triggers (all, inside Learner.run)', 'loop bookkeeping (rest)']
  for key in order:
    parts.append(f'| {key} | {bo[key]:.3f} | {100 * bo[key] / io:.1f}% | '
                 f'{bt[key]:.3f} | {100 * bt[key] / it:.1f}% |')
  parts.append('')
  if 'gin_operative_config_str_ms' in ours:
    parts.append(
        'In ours\' process after training, `gin.operative_config_str()` (which '
        'ours\' PolicySavedModelTrigger calls on every save, on the caller\'s '
        'thread, to hash it into manifest.json) takes '
        f'{_fmt(ours["gin_operative_config_str_ms"], 1, 2)} ms '
        f'({ours["gin_operative_config_lines"]} lines of config).')
    parts.append('')
  parts.append('Each trigger (ms per iteration, i.e. per call):')
  parts.append('')
  parts.append('| trigger | ms/iteration |')
  parts.append('|---|---|')
  for result in (ours, theirs):
    for name, ms in sorted(result['timers_ms_per_iteration'].items()):
      if name.startswith('trigger:'):
        parts.append(f'| {name} ({result["which"]}\' loop) | {ms:.4f} |')
  parts.append('')
  for result, title in ((ours, 'ours (train_eval)'),
                        (theirs, 'tf_agents (tutorial loop)')):
    prof = result['profile']
    for key, label in (('by_tottime', 'self time'),
                       ('by_cumtime', 'cumulative time')):
      parts.append(f'## {title}: top 15 functions by {label} '
                   f'(cProfile, {prof["iterations"]} iterations)')
      parts.append('')
      parts.append('| function | calls/iter | self ms/iter | cumulative ms/iter |')
      parts.append('|---|---|---|---|')
      for row in prof[key]:
        parts.append(f'| `{row["function"]}` | {row["ncalls_per_iter"]:.1f} | '
                     f'{row["tottime_ms_per_iter"]:.3f} | '
                     f'{row["cumtime_ms_per_iter"]:.3f} |')
      parts.append('')
  return '\n'.join(parts) + '\n'
