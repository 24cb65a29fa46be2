"""tutor: grounded Vietnamese answers for Bình dân học vụ số, pitched at the learner's level."""

__version__ = "0.1.0"
