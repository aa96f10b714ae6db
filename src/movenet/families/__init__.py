"""Pose model families (one package per model family)."""
