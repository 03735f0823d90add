"""Agent builders, one module per family; each a gin configurable `train_eval.<name>`.

    sac_agent   SAC (tutorial 7, examples/sac/haarnoja18)      continuous actions
    td3_agent   TD3 (agents/td3/examples/v2)                   continuous actions
    ddpg_agent  DDPG (agents/ddpg/examples/v2)                 continuous actions
    dqn_agent   DQN, double DQN (tutorial 1, examples/dqn)     discrete actions
    c51_agent   C51, CategoricalDqnAgent (tutorial 9)          discrete actions
    reinforce_agent  REINFORCE (tutorial 6), on-policy         either
    ppo_agent   PPOClipAgent (examples/ppo/schulman17), on-policy   continuous

Adding an agent: a module with a `@gin.configurable(module='train_eval',
denylist=runtime.RUNTIME_ARGUMENTS)` builder that checks its values with
`validation` before building, imported here, and a config in configs/; an
on-policy one is also named in `runtime.ON_POLICY_AGENTS`.
"""

from train_eval.agents.c51 import c51_agent
from train_eval.agents.ddpg import ddpg_agent
from train_eval.agents.dqn import dqn_agent
from train_eval.agents.ppo import ppo_agent
from train_eval.agents.reinforce import reinforce_agent
from train_eval.agents.runtime import build
from train_eval.agents.runtime import eval_policy
from train_eval.agents.runtime import is_on_policy
from train_eval.agents.runtime import train_sequence_length
from train_eval.agents.sac import sac_agent
from train_eval.agents.td3 import td3_agent
