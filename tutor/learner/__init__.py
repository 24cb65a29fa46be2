"""The learner model: quiz bank, storage, adaptive placement, learning path and certificates."""

#: Age bands a learner may choose (optional); exact ages are never stored. Here, not in the store, so the command
#: line can show them in its help without loading the database layer.
AGE_BANDS = ("<15", "15-24", "25-44", "45-59", "60+")
