"""Model-agnostic pipeline steps: filters (smoothing) and trackers, skeleton-aware."""
