"""Reinforcement-learning and multi-agent trainers on Stable-Baselines3 and PettingZoo."""
