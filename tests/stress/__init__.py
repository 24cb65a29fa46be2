"""Load tests: the real service under many simulated learners (`make stress` runs them for 5 minutes)."""
