"""The learner model: quiz bank, storage, adaptive placement, learning path and certificates."""
