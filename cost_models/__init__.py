"""Learned proxy cost models that stand in for a simulator."""
