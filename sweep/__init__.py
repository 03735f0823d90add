"""`sweep`: many `train_eval` runs from one command (grids × seeds, or an Optuna
search), on this machine or a Ray cluster, and a report from their events."""
