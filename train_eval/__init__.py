"""The `train_eval` binary: assembles an agent, a Learner and its triggers from .gin files."""
