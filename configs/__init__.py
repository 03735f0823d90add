"""Experiment configs shipped as package data; `train_eval --gin_file=NAME.gin` finds them."""

import os

CONFIGS_DIR = os.path.dirname(os.path.abspath(__file__))
